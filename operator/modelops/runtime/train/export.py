"""Export a fitted model to ONNX and prove the export predicts what the model predicts.

The input contract, shared with the inference server and the scanner:

* every numeric feature in one input named ``input``: float32, shape ``[None, n]``,
  columns in the manifest's feature order (left out when there is no numeric feature);
* each categorical feature (only with ``preprocessing.oneHot``) as an input of its
  own, named by its column: string, shape ``[None, 1]``. Any column name works, markup,
  quotes and newlines included: skl2onnx would rewrite such a name into an identifier
  (``<b>x</b>`` into ``_b_x__b_``), so it converts under aliases and the graph's inputs
  are renamed to the exact column names afterwards (``_name_inputs``).

Outputs: classifiers ``label`` and ``probabilities`` (a tensor, no ZipMap);
regressors ``variable``.

Parity on the holdout, with onnxruntime: classifiers must give the same labels and
probabilities within ``PROBABILITY_TOLERANCE``; a label may differ only on a row whose
two most likely classes are within that tolerance of each other (a tie at float32
precision). Regressors must agree within ``np.isclose(onnx, sklearn,
rtol=REGRESSION_RTOL, atol=REGRESSION_ATOL)``: relative 1e-4, and absolute 1e-3 for
predictions near zero, since the export computes in float32.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import onnxruntime
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.base import BaseEstimator

from modelops.api.trainingrun import Task
from modelops.runtime import onnxguard
from modelops.runtime.contract import LABEL, NUMERIC_INPUT, PROBABILITIES, VARIABLE
from modelops.runtime.train import boosting, errors, estimators, opsets
from modelops.runtime.train.columns import Schema
from modelops.runtime.train.errors import ExportMismatch

#: Stem of the names categorical inputs carry through skl2onnx (see ``_name_inputs``).
_ALIAS = "modelops_categorical_"

PROBABILITY_TOLERANCE = 1e-4
REGRESSION_RTOL = 1e-4
REGRESSION_ATOL = 1e-3


@dataclass(frozen=True)
class Expected:
    """What the fitted scikit-learn model predicts on the holdout."""

    predictions: np.ndarray
    probabilities: np.ndarray | None


def convert(fitted: BaseEstimator, schema: Schema, task: Task) -> bytes:
    """The fitted model as serialized ONNX, with the input contract above."""
    types: list[tuple[str, Any]] = []
    if schema.numeric:
        types.append((NUMERIC_INPUT, FloatTensorType([None, len(schema.numeric)])))
    aliases = {f"{_ALIAS}{i}": name for i, name in enumerate(schema.categorical)}
    types += [(alias, StringTensorType([None, 1])) for alias in aliases]
    final = estimators.final_estimator(fitted)
    options: dict[int, dict[str, Any]] = {}
    if task == Task.CLASSIFICATION:
        options[id(final)] = {"zipmap": False}
    target_opset = boosting.target_opset() if boosting.is_boosting_model(final) else None
    try:
        with opsets.lazy_versions():
            onnx_model = to_onnx(
                fitted, initial_types=types, options=options, target_opset=target_opset
            )
    except Exception as error:
        name = type(estimators.final_estimator(fitted)).__name__
        raise ExportMismatch(
            f"skl2onnx cannot export this {name} to ONNX ({errors.describe(error)}); "
            "choose another estimator"
        ) from None
    _name_inputs(onnx_model.graph, aliases)
    data: bytes = onnx_model.SerializeToString()
    return data


def _name_inputs(graph: onnx.GraphProto, aliases: Mapping[str, str]) -> None:
    """Rename the graph inputs ``aliases`` names to their columns' names.

    A value inside the graph that already bears a column's name gives it up first.
    ``columns.resolve`` keeps the inputs' names apart from the outputs' ones.
    """
    values = {v for node in graph.node for v in [*node.input, *node.output]}
    values |= {i.name for i in graph.initializer} | {v.name for v in graph.value_info}
    taken = values | {i.name for i in graph.input}
    for alias, name in aliases.items():
        if name in values:
            fresh = _unused(f"{_ALIAS}value", taken)
            taken.add(fresh)
            _rename(graph, name, fresh)
        _rename(graph, alias, name)


def _rename(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if v == old else v for v in node.input]
        node.output[:] = [new if v == old else v for v in node.output]
    for value in [*graph.input, *graph.value_info, *graph.initializer]:
        if value.name == old:
            value.name = new


def _unused(stem: str, taken: set[str]) -> str:
    n = 0
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def feeds(numeric: np.ndarray, categorical: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inputs of the exported model for rows given as a float32 matrix and string columns."""
    result: dict[str, np.ndarray] = {}
    if numeric.shape[1]:
        result[NUMERIC_INPUT] = np.ascontiguousarray(numeric, dtype=np.float32)
    for name, values in categorical.items():
        result[name] = np.asarray(values, dtype=object).reshape(-1, 1)
    return result


def check_parity(
    model: bytes, inputs: dict[str, np.ndarray], task: Task, expected: Expected
) -> dict[str, Any]:
    """Run the export on the holdout; raise ExportMismatch unless it reproduces ``expected``."""
    onnxguard.refuse_external_data(model)
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    outputs = dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, inputs),
            strict=True,
        )
    )
    rows = len(expected.predictions)
    if task == Task.REGRESSION:
        return _regression_parity(outputs[VARIABLE].reshape(-1), expected.predictions, rows)
    return _classification_parity(outputs, expected, rows)


def _regression_parity(actual: np.ndarray, wanted: np.ndarray, rows: int) -> dict[str, Any]:
    close = np.isclose(actual, wanted, rtol=REGRESSION_RTOL, atol=REGRESSION_ATOL)
    difference = float(np.max(np.abs(actual - wanted))) if rows else 0.0
    if not close.all():
        raise ExportMismatch(
            f"the ONNX export disagrees with the fitted model on {int((~close).sum())} of "
            f"{rows} holdout rows (largest difference {difference:.3g}, tolerance "
            f"rtol={REGRESSION_RTOL}, atol={REGRESSION_ATOL}); choose another estimator "
            "or scaling"
        )
    return {"rows": rows, "maxDifference": difference}


def _classification_parity(
    outputs: dict[str, np.ndarray], expected: Expected, rows: int
) -> dict[str, Any]:
    labels = outputs[LABEL].reshape(-1)
    differs = labels.astype(expected.predictions.dtype) != expected.predictions
    difference = 0.0
    if expected.probabilities is not None:
        probabilities = outputs[PROBABILITIES]
        if probabilities.shape != expected.probabilities.shape:
            raise ExportMismatch(
                f"the ONNX export gives probabilities of shape {probabilities.shape}, the "
                f"fitted model {expected.probabilities.shape}; choose another estimator"
            )
        gaps = np.abs(probabilities - expected.probabilities)
        difference = float(gaps.max()) if rows else 0.0
        top_two = np.sort(expected.probabilities, axis=1)[:, -2:]
        tie = (top_two[:, 1] - top_two[:, 0]) <= PROBABILITY_TOLERANCE
        differs &= ~tie
        if difference > PROBABILITY_TOLERANCE:
            far = int((gaps.max(axis=1) > PROBABILITY_TOLERANCE).sum())
            raise ExportMismatch(
                f"the ONNX export's probabilities differ from the fitted model's on {far} of "
                f"{rows} holdout rows (largest difference {difference:.3g}, tolerance "
                f"{PROBABILITY_TOLERANCE}); choose another estimator or scaling"
            )
    if differs.any():
        raise ExportMismatch(
            f"the ONNX export predicts other labels than the fitted model on "
            f"{int(differs.sum())} of {rows} holdout rows; choose another estimator or scaling"
        )
    return {"rows": rows, "maxDifference": difference}

"""The model under scan: an ONNX file checked against its digest, then run by onnxruntime.

This is the only place the scan turns bytes into a runnable model, and it does so
only after ``artifacts.read_verified`` has matched the sha256. It also checks the
ONNX contract the trainer follows (numeric features as FP32 ``input``, categorical
ones as STRING inputs named by feature, ``label`` + ``probabilities`` for classifiers,
``variable`` for regressors), so a model that breaks it is rejected with a message
that says what is wrong rather than failing in a detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.runtime import artifacts, onnxguard
from modelops.runtime.contract import LABEL, NUMERIC_INPUT, PROBABILITIES, VARIABLE
from modelops.runtime.scan import errors
from modelops.runtime.scan.features import Features
from modelops.runtime.scan.manifest import label_text

#: Rows sent to onnxruntime at once, to bound memory on large holdouts.
BATCH = 65_536
_CLASS_LABEL_ATTRIBUTES = ("classlabels_int64s", "classlabels_ints", "classlabels_strings")


@dataclass(frozen=True)
class Predictions:
    """What the model said about some rows.

    ``labels`` are predicted class labels as text (classifiers), ``probabilities`` are
    ``[rows, classes]`` in the model's class order, ``values`` are regression outputs.
    """

    labels: NDArray[np.str_] | None = None
    probabilities: NDArray[np.float64] | None = None
    values: NDArray[np.float64] | None = None


class OnnxModel:
    """An onnxruntime session over a model that follows the contract."""

    def __init__(self, session: Any, task: Task, class_labels: list[str] | None) -> None:
        self._session = session
        self.task = task
        #: Class labels in the order of the probability columns, when the model says so.
        self.class_labels = class_labels
        inputs = {node.name: node for node in session.get_inputs()}
        self.numeric_width = _numeric_width(inputs.get(NUMERIC_INPUT))
        #: Names of the categorical features (STRING inputs), in input order.
        self.categorical_inputs = [
            name for name, node in inputs.items() if name != NUMERIC_INPUT and _is_string(node)
        ]
        others = set(inputs) - {NUMERIC_INPUT, *self.categorical_inputs}
        if others:
            raise errors.InvalidModel(
                f"inputs {sorted(others)} are neither the FP32 'input' nor STRING categoricals"
            )
        outputs = [node.name for node in session.get_outputs()]
        if task == Task.CLASSIFICATION:
            if LABEL not in outputs or PROBABILITIES not in outputs:
                raise errors.InvalidModel(
                    f"a classifier must output {LABEL!r} and {PROBABILITIES!r} "
                    f"(export with zipmap disabled); this one outputs {outputs}"
                )
            self._outputs = [LABEL, PROBABILITIES]
        else:
            if VARIABLE not in outputs and len(outputs) != 1:
                raise errors.InvalidModel(
                    f"a regressor must output {VARIABLE!r}; this one outputs {outputs}"
                )
            self._outputs = [VARIABLE if VARIABLE in outputs else outputs[0]]

    def predict(self, features: Features) -> Predictions:
        """Run the model on every row, in batches."""
        parts = [
            self._session.run(self._outputs, features.take(slice(start, start + BATCH)).feeds())
            for start in range(0, max(features.rows, 1), BATCH)
        ]
        if self.task == Task.REGRESSION:
            values = np.concatenate([np.asarray(p[0]).reshape(-1) for p in parts])
            return Predictions(values=values.astype(np.float64))
        labels = np.concatenate([np.asarray(p[0]).reshape(-1) for p in parts])
        probabilities = np.concatenate([np.asarray(p[1], dtype=np.float64) for p in parts])
        return Predictions(
            labels=np.array([label_text(v) for v in labels.tolist()], dtype=np.str_),
            probabilities=probabilities,
        )


def load(artifact_uri: str, digest: str, task: Task, classes: list[str] | None) -> OnnxModel:
    """Read ``<artifact_uri>/model.onnx``, verify ``digest``, and open it.

    ``classes`` (from the manifest) wins over the class labels stored in the graph.
    """
    import onnx
    import onnxruntime

    uri = artifacts.join(artifact_uri, artifacts.MODEL)
    try:
        data = artifacts.read_verified(uri, digest)
    except artifacts.DigestMismatch as error:
        raise errors.DigestMismatch(str(error)) from error
    except FileNotFoundError as error:
        raise errors.InvalidModel(f"no model at {uri}") from error
    try:
        graph = onnx.load_model_from_string(data).graph
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        onnxguard.refuse_external_data(data)
        session = onnxruntime.InferenceSession(
            data, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:
        raise errors.InvalidModel(
            f"{uri} is not a loadable ONNX model ({errors.where(error)})"
        ) from error
    return OnnxModel(session, task, classes or _graph_class_labels(graph))


def _graph_class_labels(graph: Any) -> list[str] | None:
    """Class labels stored in a classifier node (how skl2onnx and onnxmltools keep them)."""
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.name in _CLASS_LABEL_ATTRIBUTES:
                values = attribute.ints or [s.decode() for s in attribute.strings]
                return [label_text(v) for v in values]
    return None


def _is_string(node: Any) -> bool:
    return str(node.type) == "tensor(string)"


def _numeric_width(node: Any) -> int:
    if node is None:
        return 0
    if str(node.type) != "tensor(float)":
        raise errors.InvalidModel(f"input {NUMERIC_INPUT!r} must be FP32, not {node.type}")
    shape = list(node.shape)
    if len(shape) != 2 or not isinstance(shape[1], int):
        raise errors.InvalidModel(
            f"input {NUMERIC_INPUT!r} must have shape [N, n_features], not {shape}"
        )
    return int(shape[1])

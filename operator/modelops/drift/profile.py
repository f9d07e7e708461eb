"""The reference profile: what "no drift" looks like, built by the trainer from training data.

``build_reference`` summarises the training columns; ``Reference.to_dict`` is the content
of reference.json, and ``Reference.from_dict`` reads it back with a ``ValueError`` naming
the first thing wrong. Everything a detector needs is in it: per-feature quantiles and
counts, PSI bins, category frequencies, the multivariate model calibrated on held-out
reference rows, the critical values for the chosen false-alarm rate, and the window size
worth monitoring with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from modelops.drift import categorical as categorical_drift
from modelops.drift import marginal, multivariate, scores

FORMAT = "modelops.dev/drift-reference/v1"
MIN_ROWS = 20
"""Fewest reference rows accepted; more make every test sharper (see ``Reference.window``)."""
FALSE_ALARM_RATE = 1e-4
"""Default chance that a window without drift is called drifted (all tests together)."""
DETECTABLE_SHIFT = 0.25
"""Mean shift, in reference standard deviations, that the recommended window catches."""
DETECTION_POWER_Z = 1.2816
"""Normal deviate of 90 %: the recommended window catches that shift 9 times out of 10."""

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Reference:
    """A reference profile; build it with ``build_reference`` or read it with ``from_dict``."""

    marginals: marginal.Marginals
    categories: tuple[categorical_drift.Feature, ...]
    multivariate: multivariate.Model | None
    thresholds: scores.Thresholds
    rows: int
    bins: int
    seed: int
    window: int
    """Recommended window: rows needed to catch a 0.25-sigma mean shift in one feature."""

    @property
    def numeric_features(self) -> tuple[str, ...]:
        """Order of the columns of ``DriftMonitor.observe``'s matrix."""
        return self.marginals.names

    @property
    def categorical_features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.categories)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able content of reference.json."""
        model = self.multivariate
        return {
            "format": FORMAT,
            "rows": self.rows,
            "bins": self.bins,
            "seed": self.seed,
            "window": self.window,
            "thresholds": self.thresholds.to_dict(),
            "numeric": [
                {
                    "name": f.name,
                    "mean": f.mean,
                    "std": f.std,
                    "missing": f.missing,
                    "grid": f.grid.tolist(),
                    "grid_counts": f.grid_counts.tolist(),
                    "edges": f.edges.tolist(),
                    "counts": f.counts.tolist(),
                }
                for f in self.marginals.features
            ],
            "categorical": [
                {
                    "name": f.name,
                    "categories": list(f.categories),
                    "counts": f.counts[:-1].tolist(),
                    "other": int(f.counts[-1]),
                }
                for f in self.categories
            ],
            "multivariate": None
            if model is None
            else {
                "low": model.low.tolist(),
                "high": model.high.tolist(),
                "center": model.center.tolist(),
                "scale": model.scale.tolist(),
                "components": model.components.tolist(),
                "error_mean": model.error_mean,
                "error_var": model.error_var,
                "calibration_rows": model.calibration_rows,
                "rows": model.rows,
                "pair_mean": None if model.pair_mean is None else model.pair_mean.tolist(),
                "pair_var": None if model.pair_var is None else model.pair_var.tolist(),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reference:
        """Read reference.json's content; raises ``ValueError`` saying what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("reference must be a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"reference.format must be {FORMAT!r}, got {data.get('format')!r}")
        return _guarded("reference", lambda: _read(data))


def build_reference(
    columns: Mapping[str, Any],
    categorical: Collection[str] = (),
    bins: int = 10,
    seed: int = 0,
    false_alarm_rate: float = FALSE_ALARM_RATE,
) -> Reference:
    """Summarise training data: ``columns`` maps feature names to equal-length 1-D arrays.

    Features named in ``categorical`` are compared as strings; all others must be numeric and
    keep the mapping's order as ``numeric_features``. Non-finite numeric values are counted
    and left out. ``seed`` fixes the held-out split that calibrates the multivariate test.
    """
    if not columns:
        raise ValueError("columns must name at least one feature")
    unknown = sorted(set(categorical) - set(columns))
    if unknown:
        raise ValueError(f"categorical names features not in columns: {unknown}")
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"columns must have equal lengths, got {lengths}")
    rows = next(iter(lengths.values()))
    if rows < MIN_ROWS:
        raise ValueError(f"a reference needs at least {MIN_ROWS} rows, got {rows}")
    numeric = [name for name in columns if name not in categorical]
    # Feature-major, so each feature's values are contiguous for its sort.
    by_feature = (
        np.stack([_numeric(name, columns[name]) for name in numeric])
        if numeric
        else np.empty((0, rows))
    )
    matrix = by_feature.T
    # One sort per feature serves its marginal summary and, when every row is complete,
    # the multivariate clip bounds; non-finite values sort to the ends and are left out.
    ordered = np.sort(by_feature, axis=1)
    finite = np.isfinite(ordered)
    features = tuple(
        marginal.fit(name, ordered[i][finite[i]], rows - int(finite[i].sum()), bins)
        for i, name in enumerate(numeric)
    )
    categories = tuple(categorical_drift.fit(n, columns[n]) for n in columns if n in categorical)
    if finite.all():
        model = multivariate.fit(matrix, seed, ordered)
    else:
        model = multivariate.fit(matrix[np.isfinite(matrix).all(axis=1)], seed)
    marginals = marginal.Marginals(features)
    thresholds = scores.Thresholds.for_tests(
        false_alarm_rate, _tests(marginals, categories, model), model.pairs if model else 0
    )
    return Reference(
        marginals=marginals,
        categories=categories,
        multivariate=model,
        thresholds=thresholds,
        rows=rows,
        bins=bins,
        seed=seed,
        window=recommended_window(thresholds, rows),
    )


def recommended_window(thresholds: scores.Thresholds, reference_rows: int) -> int:
    """Rows per window that catch a ``DETECTABLE_SHIFT`` mean shift 90 % of the time.

    The reference's own noise (``1/N``) limits what any window can see; when the shift is out
    of reach the answer is as many rows as the reference has.
    """
    needed = (DETECTABLE_SHIFT / (thresholds.two_sided + DETECTION_POWER_Z)) ** 2
    per_window = needed - 1.0 / reference_rows
    rows = reference_rows if per_window <= 0 else math.ceil(1.0 / per_window)
    return max(scores.MIN_WINDOW, math.ceil(rows / 100) * 100)


def _tests(
    marginals: marginal.Marginals,
    categories: tuple[categorical_drift.Feature, ...],
    model: multivariate.Model | None,
) -> int:
    multivariate_tests = 0 if model is None else 1 + (model.pairs > 0)
    return 3 * int(marginals.judged.sum()) + len(categories) + multivariate_tests


def _numeric(name: str, values: Any) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"numeric feature {name!r} is not numeric ({error}); name it in categorical"
        ) from None
    if array.ndim != 1:
        raise ValueError(f"feature {name!r} must be one-dimensional, got shape {array.shape}")
    return array


# Reading reference.json


def _guarded(where: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except (KeyError, TypeError) as error:
        raise ValueError(f"{where}: missing or mistyped field {error}") from None


def _read(data: Mapping[str, Any]) -> Reference:
    rows = _integer(data, "rows", "reference", minimum=1)
    thresholds_data = _mapping(data, "thresholds", "reference")
    thresholds = scores.Thresholds(
        false_alarm_rate=_number(thresholds_data, "false_alarm_rate", "reference.thresholds"),
        tests=_integer(thresholds_data, "tests", "reference.thresholds", minimum=1),
        two_sided=_number(thresholds_data, "two_sided", "reference.thresholds", positive=True),
        one_sided=_number(thresholds_data, "one_sided", "reference.thresholds", positive=True),
        pairwise=_number(thresholds_data, "pairwise", "reference.thresholds", positive=True),
    )
    numeric = [_read_numeric(item, i) for i, item in enumerate(_list(data, "numeric"))]
    categories = [_read_categorical(item, i) for i, item in enumerate(_list(data, "categorical"))]
    names = [f.name for f in numeric] + [f.name for f in categories]
    if not names:
        raise ValueError("reference: no numeric or categorical features")
    if len(set(names)) != len(names):
        raise ValueError("reference: feature names must be unique")
    model = None
    if data.get("multivariate") is not None:
        model = _guarded("reference.multivariate", lambda: _read_model(data["multivariate"]))
        if model.center.size != len(numeric):
            raise ValueError("reference.multivariate: needs one value per numeric feature")
    return Reference(
        marginals=marginal.Marginals(tuple(numeric)),
        categories=tuple(categories),
        multivariate=model,
        thresholds=thresholds,
        rows=rows,
        bins=_integer(data, "bins", "reference", minimum=2),
        seed=_integer(data, "seed", "reference", minimum=0),
        window=_integer(data, "window", "reference", minimum=1),
    )


def _read_numeric(item: Any, i: int) -> marginal.Feature:
    where = f"reference.numeric[{i}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object")
    feature = marginal.Feature(
        name=_string(item, "name", where),
        mean=_number(item, "mean", where),
        std=_number(item, "std", where),
        missing=_integer(item, "missing", where, minimum=0),
        grid=_array(item, "grid", where, np.float64),
        grid_counts=_array(item, "grid_counts", where, np.int64),
        edges=_array(item, "edges", where, np.float64),
    )
    feature.check()
    if _array(item, "counts", where, np.int64).tolist() != feature.counts.tolist():
        raise ValueError(f"{where}.counts do not add up from grid_counts over edges")
    return feature


def _read_categorical(item: Any, i: int) -> categorical_drift.Feature:
    where = f"reference.categorical[{i}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object")
    categories = item.get("categories")
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError(f"{where}.categories must be a list of strings")
    counts = _array(item, "counts", where, np.int64)
    other = _integer(item, "other", where, minimum=0)
    return categorical_drift.Feature(
        name=_string(item, "name", where),
        categories=tuple(categories),
        counts=np.append(counts, other),
    )


def _read_model(item: Mapping[str, Any]) -> multivariate.Model:
    where = "reference.multivariate"
    pair_mean, pair_var = item.get("pair_mean"), item.get("pair_var")
    return multivariate.Model(
        low=_array(item, "low", where, np.float64),
        high=_array(item, "high", where, np.float64),
        center=_array(item, "center", where, np.float64),
        scale=_array(item, "scale", where, np.float64),
        components=_array(item, "components", where, np.float64, ndim=2),
        error_mean=_number(item, "error_mean", where),
        error_var=_number(item, "error_var", where),
        calibration_rows=_integer(item, "calibration_rows", where, minimum=1),
        rows=_integer(item, "rows", where, minimum=1),
        pair_mean=None if pair_mean is None else _array(item, "pair_mean", where, np.float64, 2),
        pair_var=None if pair_var is None else _array(item, "pair_var", where, np.float64, 2),
    )


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"reference.{key} must be a list")
    return value


def _mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}.{key} must be an object")
    return value


def _string(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{key} must be a non-empty string")
    return value


def _integer(data: Mapping[str, Any], key: str, where: str, minimum: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}.{key} must be an integer >= {minimum}, got {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, positive: bool = False) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}.{key} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{where}.{key} must be positive, got {value!r}")
    return float(value)


def _array(
    data: Mapping[str, Any],
    key: str,
    where: str,
    dtype: type[np.float64] | type[np.int64],
    ndim: int = 1,
) -> NDArray[Any]:
    value = data.get(key)
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{where}.{key} must be a list of numbers") from None
    if array.ndim != ndim or not np.all(np.isfinite(array)):
        raise ValueError(f"{where}.{key} must be a {ndim}-D list of finite numbers")
    if dtype is np.int64 and array.size and np.asarray(value).dtype.kind not in "iu":
        raise ValueError(f"{where}.{key} must hold integers")
    return array

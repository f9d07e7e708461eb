"""Built-in datasets: sample data that needs no download, for demos, tests and drift drills.

``builtin://breast_cancer``, ``builtin://iris``, ``builtin://wine`` and
``builtin://diabetes`` are scikit-learn's bundled tables, with column names made
column-safe (``mean radius`` -> ``mean_radius``) and the label in ``target``.

``builtin://synthetic?...`` generates a table with ``make_classification`` or
``make_regression``. Query parameters (all optional):

=========== ================ ==========================================================
parameter   default          meaning
=========== ================ ==========================================================
task        classification   ``classification`` (two classes) or ``regression``
rows        1000             number of rows, 10 to 10,000,000
features    10               number of feature columns ``f0`` ... ``f<features-1>``
informative min(features, 5) how many of the first features carry signal
seed        0                random seed: the same query gives the same table
shift       0.0              added to the first three features (all, if fewer), to make
                             the data drift from a table generated without it
=========== ================ ==========================================================

The digest of a built-in table is the sha256 of a canonical encoding: for each
column in order, its UTF-8 name, a NUL byte, then its values as little-endian
float64. It changes only when the generated values do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pyarrow as pa
from sklearn import datasets as sk_datasets

from modelops.runtime import artifacts
from modelops.runtime.train.errors import InvalidSpec

SCHEME = "builtin"
TARGET = "target"
SHIFTED_FEATURES = 3

_BUNDLED: dict[str, Callable[..., object]] = {
    "breast_cancer": sk_datasets.load_breast_cancer,
    "iris": sk_datasets.load_iris,
    "wine": sk_datasets.load_wine,
    "diabetes": sk_datasets.load_diabetes,
}
_SYNTHETIC = "synthetic"
_TASKS = ("classification", "regression")
_INT_LIMITS = {"rows": (10, 10_000_000), "features": (1, 1000), "informative": (1, 1000)}
_PARAMETERS = ("task", "rows", "features", "informative", "seed", "shift")


def is_builtin(uri: str) -> bool:
    return uri.startswith(f"{SCHEME}://")


def column_safe(name: str) -> str:
    """``sepal length (cm)`` -> ``sepal_length_cm``: letters, digits and underscores only."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def load(uri: str) -> tuple[pa.Table, str]:
    """The table a ``builtin://`` URI names, and its digest."""
    parts = urlsplit(uri)
    name = parts.netloc
    if name == _SYNTHETIC:
        table = _synthetic(dict(parse_qsl(parts.query, keep_blank_values=True)))
    elif name in _BUNDLED:
        if parts.query:
            raise InvalidSpec(f"builtin://{name} takes no query parameters; remove {parts.query!r}")
        table = _bundled(name)
    else:
        known = ", ".join([*sorted(_BUNDLED), _SYNTHETIC])
        raise InvalidSpec(f"unknown built-in dataset {name!r} in {uri}; built-ins are: {known}")
    return table, artifacts.sha256_digest(_canonical_bytes(table))


def _bundled(name: str) -> pa.Table:
    bunch = _BUNDLED[name]()
    data = np.asarray(bunch.data, dtype=np.float64)  # type: ignore[attr-defined]
    target = np.asarray(bunch.target)  # type: ignore[attr-defined]
    names = [column_safe(str(n)) for n in bunch.feature_names]  # type: ignore[attr-defined]
    columns = {n: data[:, i] for i, n in enumerate(names)}
    columns[TARGET] = target
    return pa.table(columns)


def _synthetic(query: dict[str, str]) -> pa.Table:
    unknown = sorted(set(query) - set(_PARAMETERS))
    if unknown:
        raise InvalidSpec(
            f"unknown builtin://synthetic parameter {unknown[0]!r}; "
            f"parameters are: {', '.join(_PARAMETERS)}"
        )
    task = query.get("task", "classification")
    if task not in _TASKS:
        raise InvalidSpec(
            f"builtin://synthetic task={task!r}; use task=classification or regression"
        )
    rows = _int(query, "rows", 1000)
    features = _int(query, "features", 10)
    informative = _int(query, "informative", min(features, 5))
    if informative > features:
        raise InvalidSpec(
            f"builtin://synthetic informative={informative} exceeds features={features}"
        )
    seed = _int(query, "seed", 0)
    shift = _float(query, "shift", 0.0)
    if task == "classification":
        redundant = min(2, features - informative)
        x, y = sk_datasets.make_classification(
            n_samples=rows,
            n_features=features,
            n_informative=informative,
            n_redundant=redundant,
            n_clusters_per_class=2 if informative > 1 else 1,
            shuffle=False,
            random_state=seed,
        )
    else:
        x, y = sk_datasets.make_regression(
            n_samples=rows,
            n_features=features,
            n_informative=informative,
            noise=10.0,
            shuffle=False,
            random_state=seed,
        )
    x[:, :SHIFTED_FEATURES] += shift
    columns: dict[str, np.ndarray] = {f"f{i}": x[:, i] for i in range(features)}
    columns[TARGET] = y
    return pa.table(columns)


def _int(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidSpec(f"builtin://synthetic {name}={raw!r} is not an integer") from None
    low, high = _INT_LIMITS.get(name, (0, 2**32 - 1))
    if not low <= value <= high:
        raise InvalidSpec(f"builtin://synthetic {name}={value} must be between {low} and {high}")
    return value


def _float(query: dict[str, str], name: str, default: float) -> float:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidSpec(f"builtin://synthetic {name}={raw!r} is not a number") from None
    if not np.isfinite(value):
        raise InvalidSpec(f"builtin://synthetic {name}={raw!r} must be finite")
    return value


def _canonical_bytes(table: pa.Table) -> bytes:
    chunks: list[bytes] = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = column.to_numpy().astype("<f8")
        chunks += [name.encode(), b"\0", values.tobytes()]
    return b"".join(chunks)

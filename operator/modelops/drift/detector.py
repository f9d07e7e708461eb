"""Judge drift: one window offline (``evaluate``) or a sliding window in the server.

Scores share one scale (see ``scores``): a feature's score is the largest of its tests'
``z / critical``, so ``>= 1.0`` means drifted at the reference's false-alarm rate (by default
1e-4 per window for all tests together); ``overall`` is the largest of all feature scores and
the multivariate score. A retraining policy comparing ``overall`` to 1.0 therefore sees, on
data without drift, about one false alarm in 10,000 independent windows; require it to hold
for a few scrapes to make that rarer still.

``DriftMonitor`` only copies rows into ring buffers when the server observes them (about a
microsecond a call); all statistics are computed at scrape time over the last ``window``
rows, so their cost does not grow with traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from modelops.drift import profile, scores

FloatArray = NDArray[np.float64]

MIN_ROWS = scores.MIN_WINDOW


@dataclass(frozen=True)
class DriftReport:
    """Drift of one window against the reference; ``to_dict`` is JSON-able."""

    overall: float
    """Largest score of all tests; >= 1.0 means drift."""
    features: dict[str, float]
    """Score of each feature, numeric then categorical, in reference order."""
    drifted: list[str]
    """Features scoring >= 1.0, highest first."""
    multivariate: float
    """Score of the multivariate tests (pairwise covariance, PCA reconstruction error)."""
    rows: int
    """Rows in the window (the most values any feature had)."""
    psi: dict[str, float]
    """Population stability index of each feature, for dashboards used to PSI."""
    nonfinite: dict[str, int]
    """NaN and infinite values per numeric feature, left out of every test."""
    drifted_pairs: list[tuple[str, str]]
    """Numeric feature pairs whose covariance drifted, highest first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "features": dict(self.features),
            "drifted": list(self.drifted),
            "multivariate": self.multivariate,
            "rows": self.rows,
            "psi": dict(self.psi),
            "nonfinite": dict(self.nonfinite),
            "drifted_pairs": [list(pair) for pair in self.drifted_pairs],
        }


def evaluate(ref: profile.Reference, columns: Mapping[str, Any]) -> DriftReport:
    """Judge one window given as equal-length columns for every feature of ``ref``."""
    missing = [n for n in (*ref.numeric_features, *ref.categorical_features) if n not in columns]
    if missing:
        raise ValueError(f"columns lack features of the reference: {missing}")
    lengths = {len(columns[n]) for n in (*ref.numeric_features, *ref.categorical_features)}
    if len(lengths) != 1:
        raise ValueError("columns must have equal lengths")
    rows = lengths.pop()
    numeric = [np.asarray(columns[n], dtype=np.float64) for n in ref.numeric_features]
    matrix = np.column_stack(numeric) if numeric else np.empty((rows, 0))
    counts = [
        np.bincount(f.encode(columns[f.name]), minlength=f.other + 1).astype(np.float64)
        for f in ref.categories
    ]
    return _judge(ref, matrix, counts)


class DriftMonitor:
    """Sliding-window drift for a server: observe rows per request, report per scrape.

    Single-threaded (one asyncio loop); ``report`` reads the buffers and changes nothing.
    """

    def __init__(self, ref: profile.Reference, window: int = 1000) -> None:
        if window < MIN_ROWS:
            raise ValueError(f"window must be at least {MIN_ROWS} rows, got {window}")
        self.ref = ref
        self.window = window
        self._rows = _Ring(window, (len(ref.numeric_features),), np.float64)
        self._categories = {f.name: _Ring(window, (), np.int64) for f in ref.categories}

    def observe(self, matrix: NDArray[Any]) -> None:
        """Add rows ``[rows, numeric features]`` in ``ref.numeric_features`` order."""
        if matrix.ndim != 2 or matrix.shape[1] != self._rows.width:
            raise ValueError(
                f"observe needs a [rows, {self._rows.width}] matrix, got shape {matrix.shape}"
            )
        self._rows.push(matrix)

    def observe_categorical(self, name: str, values: Sequence[str]) -> None:
        """Add values of one categorical feature (unseen categories count as "other")."""
        ring = self._categories.get(name)
        if ring is None:
            raise ValueError(f"{name!r} is not a categorical feature of the reference")
        feature = self.ref.categories[list(self._categories).index(name)]
        ring.push(feature.encode(values))

    def report(self) -> DriftReport:
        """Drift over the last ``window`` rows (and values of each categorical feature)."""
        counts = [
            np.bincount(ring.filled(), minlength=f.other + 1).astype(np.float64)
            for f, ring in zip(self.ref.categories, self._categories.values(), strict=True)
        ]
        return _judge(self.ref, self._rows.filled(), counts)


class _Ring:
    """The last ``size`` items pushed, overwriting the oldest."""

    def __init__(self, size: int, shape: tuple[int, ...], dtype: DTypeLike) -> None:
        self.data: NDArray[Any] = np.zeros((size, *shape), dtype=dtype)
        self.width = shape[0] if shape else 1
        self.size = size
        self.next = 0
        self.count = 0

    def push(self, items: NDArray[Any]) -> None:
        n = len(items)
        size = self.size
        if n >= size:
            self.data[:] = items[n - size :]
            self.next, self.count = 0, size
            return
        end = self.next + n
        if end <= size:
            self.data[self.next : end] = items
        else:
            split = size - self.next
            self.data[self.next :] = items[:split]
            self.data[: end - size] = items[split:]
        self.next = end % size
        self.count = min(self.count + n, size)

    def filled(self) -> NDArray[Any]:
        return self.data[: self.count]


def _judge(ref: profile.Reference, matrix: FloatArray, counts: list[FloatArray]) -> DriftReport:
    thresholds = ref.thresholds
    finite = np.isfinite(matrix)
    every = bool(finite.all())
    columns = np.ascontiguousarray((matrix if every else np.where(finite, matrix, np.nan)).T)
    marginal = ref.marginals.judge(columns)
    enough = marginal.rows >= MIN_ROWS
    numeric = np.where(
        enough,
        np.maximum.reduce(
            [
                scores.ratio(marginal.location, thresholds.two_sided),
                scores.ratio(marginal.scale, thresholds.two_sided),
                scores.ratio(marginal.shape, thresholds.one_sided),
            ]
        ),
        0.0,
    )
    features = dict(zip(ref.numeric_features, numeric.tolist(), strict=True))
    psi = dict(zip(ref.numeric_features, marginal.psi.tolist(), strict=True))
    for feature, window in zip(ref.categories, counts, strict=True):
        z, index = feature.judge(window)
        score = float(scores.ratio(np.array(z), thresholds.one_sided))
        features[feature.name] = score if window.sum() >= MIN_ROWS else 0.0
        psi[feature.name] = index
    multivariate, pairs = _multivariate(ref, matrix if every else matrix[finite.all(axis=1)])
    drifted = sorted((n for n, s in features.items() if s >= 1.0), key=lambda n: -features[n])
    return DriftReport(
        overall=max([multivariate, *features.values()]),
        features=features,
        drifted=drifted,
        multivariate=multivariate,
        rows=max([matrix.shape[0], *(int(c.sum()) for c in counts)]),
        psi=psi,
        nonfinite=dict(zip(ref.numeric_features, marginal.nonfinite.tolist(), strict=True)),
        drifted_pairs=pairs,
    )


def _multivariate(
    ref: profile.Reference, complete: FloatArray
) -> tuple[float, list[tuple[str, str]]]:
    model, thresholds = ref.multivariate, ref.thresholds
    if model is None or complete.shape[0] < MIN_ROWS:
        return 0.0, []
    error = float(scores.ratio(np.array(model.error_z(complete)), thresholds.two_sided))
    pair_scores = np.triu(scores.ratio(model.pair_z(complete), thresholds.pairwise))
    first, second = np.nonzero(pair_scores >= 1.0)
    order = np.argsort(-pair_scores[first, second])
    names = ref.numeric_features
    pairs = [(names[first[i]], names[second[i]]) for i in order]
    return max(error, float(pair_scores.max())), pairs

"""Drift of categorical features: do the category frequencies still match the reference?

Categories seen in at least ``MIN_SHARE`` of the reference (at most ``MAX_CATEGORIES`` of
them) keep their own bucket; rarer ones, categories never seen and missing values share the
``other`` bucket. The test is Pearson's chi-square for two samples. Its approximation fails
for buckets the window expects fewer than ``MIN_EXPECTED`` values in (a category the
reference never saw would raise an alarm on a single value), so such buckets are judged as
if they expected that many: a handful of unseen values is noise, a few percent is drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from modelops.drift import psi, scores

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MIN_SHARE = 0.005
MAX_CATEGORIES = 50
MIN_EXPECTED = 5.0


@dataclass(frozen=True, eq=False)
class Feature:
    """One categorical feature of the reference, as stored in reference.json."""

    name: str
    categories: tuple[str, ...]
    counts: IntArray
    """Reference values per category, then the ``other`` bucket last."""
    codes: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"categorical feature {self.name!r}"
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"{where}: categories must be distinct")
        if self.counts.shape != (len(self.categories) + 1,) or np.any(self.counts < 0):
            raise ValueError(f"{where}: counts needs one count >= 0 per category, then other")
        if self.counts.sum() < 1:
            raise ValueError(f"{where}: counts must not all be zero")
        object.__setattr__(self, "codes", {c: i for i, c in enumerate(self.categories)})

    @property
    def other(self) -> int:
        """Index of the bucket for rare, unseen and missing values."""
        return len(self.categories)

    def encode(self, values: Iterable[object]) -> IntArray:
        """Bucket index of each value (compared as ``str``)."""
        codes, other = self.codes, self.other
        return np.fromiter((codes.get(str(v), other) for v in values), dtype=np.int64)

    def judge(self, counts: FloatArray) -> tuple[float, float]:
        """``(z, psi)`` of one window's bucket counts against the reference."""
        rows = float(counts.sum())
        if rows == 0:
            return 0.0, 0.0
        reference_rows = float(self.counts.sum())
        expected = self.counts / reference_rows
        spread = 1.0 / rows + 1.0 / reference_rows
        floor = np.maximum(expected, MIN_EXPECTED / rows)
        statistic = float((((counts / rows - expected) ** 2) / (floor * spread)).sum())
        df = max(float(np.count_nonzero(self.counts)) - 1.0, 1.0)
        z = float(scores.chi2_z(np.array([statistic]), np.array([df]))[0])
        valid = np.ones((1, counts.size), dtype=bool)
        index = float(psi.index(counts[None, :], self.counts[None, :].astype(float), valid)[0])
        return z, index


def fit(name: str, values: Iterable[object]) -> Feature:
    """Summarise one reference column of categories."""
    tally = Counter(str(v) for v in values)
    total = sum(tally.values())
    if total == 0:
        raise ValueError(f"categorical feature {name!r} has no values")
    common = [c for c, n in tally.most_common(MAX_CATEGORIES) if n >= MIN_SHARE * total]
    kept = sum(tally[c] for c in common)
    return Feature(
        name=name,
        categories=tuple(common),
        counts=np.array([tally[c] for c in common] + [total - kept], dtype=np.int64),
    )

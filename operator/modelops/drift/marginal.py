"""Per-feature drift of numeric features, from counts over the reference's quantiles.

Each feature's reference is summarised by about ``GRID`` quantiles (ties merged) and the
number of reference values in each segment between them. A window is reduced to the same
counts: sort each feature's values once and find the quantiles in them. That is far cheaper
than searching every value, and the counts are all three tests need:

- location: the mean normal score (van der Waerden) of the window's values, where a value's
  score is ``E[Z | Z in its segment]`` for a standard normal ``Z``. As efficient as a t-test
  for normal data, and distribution-free, so no false alarms from heavy tails;
- scale: the mean squared normal score (a Klotz-style test), chi-square-like, taken through
  Wilson-Hilferty;
- shape: PSI over ``bins`` coarse quantile bins (see ``psi``).

Segments: 0 is below the reference's minimum, ``j`` runs from ``grid[j-1]`` up to but
excluding ``grid[j]``, and the last starts at the reference's maximum. Non-finite values
(NaN, inf) are counted apart and take part in no test. A feature constant in the reference
has one grid point and is not judged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from modelops.drift import psi, scores

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

GRID = 100
"""Quantile segments per feature before ties are merged (rounded up to a multiple of bins)."""


@dataclass(frozen=True, eq=False)
class Feature:
    """One numeric feature of the reference, as stored in reference.json."""

    name: str
    mean: float
    std: float
    missing: int
    """Non-finite reference values, left out of everything else."""
    grid: FloatArray
    """Strictly increasing reference quantiles, from the minimum to the maximum."""
    grid_counts: IntArray
    """Reference values per segment: ``len(grid) + 1`` of them."""
    edges: FloatArray
    """Inner edges of the PSI bins, a subset of ``grid``."""

    def check(self) -> None:
        """Raise ValueError unless the summary is consistent (``fit``'s always is; one read
        from reference.json may not be)."""
        where = f"numeric feature {self.name!r}"
        if self.grid.size < 1 or not np.all(np.isfinite(self.grid)):
            raise ValueError(f"{where}: grid must be a non-empty list of finite numbers")
        if np.any(np.diff(self.grid) <= 0):
            raise ValueError(f"{where}: grid must be strictly increasing")
        if self.grid_counts.shape != (self.grid.size + 1,) or np.any(self.grid_counts < 0):
            raise ValueError(f"{where}: grid_counts needs len(grid) + 1 counts >= 0")
        if self.grid_counts.sum() < 1:
            raise ValueError(f"{where}: grid_counts must not all be zero")
        at = np.minimum(np.searchsorted(self.grid, self.edges), self.grid.size - 1)
        if np.any(self.grid[at] != self.edges) or np.any(np.diff(self.edges) <= 0):
            raise ValueError(f"{where}: edges must be increasing points of grid")

    @property
    def rows(self) -> int:
        return int(self.grid_counts.sum())

    @property
    def counts(self) -> IntArray:
        """Reference values per PSI bin: ``len(edges) + 1`` of them."""
        bins = psi.bin_of_segments(self.grid, self.edges)
        return np.bincount(bins, weights=self.grid_counts, minlength=self.edges.size + 1).astype(
            np.int64
        )


def fit(name: str, ordered: FloatArray, missing: int, bins: int) -> Feature:
    """Summarise one reference column from its finite values sorted ascending; ``missing``
    counts the non-finite values left out of them."""
    if ordered.size == 0:
        raise ValueError(f"numeric feature {name!r} has no finite values")
    per_bin = -(-GRID // bins)
    raw = ordered[_inverted_cdf(ordered.size, np.linspace(0.0, 1.0, bins * per_bin + 1))]
    grid = _distinct(raw)
    below = np.searchsorted(ordered, grid, side="left")
    grid_counts = np.diff(np.concatenate([[0], below, [ordered.size]])).astype(np.int64)
    edges = psi.merge_empty(grid, grid_counts, _distinct(raw[per_bin:-1:per_bin]))
    return Feature(
        name=name,
        mean=float(ordered.mean()),
        std=float(ordered.std()),
        missing=missing,
        grid=grid,
        grid_counts=grid_counts,
        edges=edges,
    )


def _distinct(ordered: FloatArray) -> FloatArray:
    """The distinct values of a sorted array (``np.unique`` without its sort)."""
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _inverted_cdf(n: int, q: FloatArray) -> IntArray:
    """Positions in ``n`` sorted values of the quantiles ``q``, as ``np.quantile``'s
    ``method="inverted_cdf"`` finds them: the smallest value whose empirical CDF reaches q.

    One sort serves every quantile, where ``np.quantile`` partitions once per quantile.
    """
    index = n * q - 1.0
    below = np.floor(index)
    position = np.where(index == below, below, below + 1.0)
    return np.clip(position, 0, n - 1).astype(np.int64)


@dataclass(frozen=True)
class Result:
    """Per-feature outcome of one window; arrays are in feature order."""

    rows: FloatArray
    nonfinite: IntArray
    location: FloatArray
    scale: FloatArray
    shape: FloatArray
    psi: FloatArray


@dataclass(frozen=True, eq=False)
class Marginals:
    """All numeric features stacked into padded arrays, ready to judge windows."""

    features: tuple[Feature, ...]
    _grid: FloatArray = field(init=False, repr=False)
    _reference: FloatArray = field(init=False, repr=False)
    _location: FloatArray = field(init=False, repr=False)
    _square: FloatArray = field(init=False, repr=False)
    _moments: FloatArray = field(init=False, repr=False)
    _bin_ids: IntArray = field(init=False, repr=False)
    _bin_counts: FloatArray = field(init=False, repr=False)
    _bin_valid: BoolArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        count = len(self.features)
        width = max((f.grid.size for f in self.features), default=1)
        bins = max((f.edges.size + 1 for f in self.features), default=1)
        grid = np.full((count, width), np.inf)
        reference = np.zeros((count, width + 1))
        segment = np.zeros((count, width + 1), dtype=bool)
        bin_ids = np.zeros((count, width + 1), dtype=np.int64)
        bin_counts = np.zeros((count, bins))
        bin_valid = np.zeros((count, bins), dtype=bool)
        for i, f in enumerate(self.features):
            segments = f.grid.size + 1
            grid[i, : f.grid.size] = f.grid
            reference[i, :segments] = f.grid_counts
            segment[i, :segments] = True
            bin_ids[i, :segments] = psi.bin_of_segments(f.grid, f.edges) + i * bins
            bin_ids[i, segments:] = i * bins
            bin_counts[i, : f.edges.size + 1] = f.counts
            bin_valid[i, : f.edges.size + 1] = True
        location, square = _segment_scores(reference, segment)
        share = reference / np.maximum(reference.sum(axis=1, keepdims=True), 1.0)
        mean = (share * location).sum(axis=1)
        mean_square = (share * square).sum(axis=1)
        moments = np.stack(
            [
                mean,
                (share * location**2).sum(axis=1) - mean**2,
                mean_square,
                (share * square**2).sum(axis=1) - mean_square**2,
            ]
        )
        for name, value in [
            ("_grid", grid),
            ("_reference", reference),
            ("_location", location),
            ("_square", square),
            ("_moments", moments),
            ("_bin_ids", bin_ids.ravel()),
            ("_bin_counts", bin_counts),
            ("_bin_valid", bin_valid),
        ]:
            object.__setattr__(self, name, value)

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @functools.cached_property
    def judged(self) -> BoolArray:
        """Features with at least two distinct reference values."""
        return np.array([f.grid.size > 1 for f in self.features], dtype=bool)

    def judge(self, columns: FloatArray) -> Result:
        """Test one window, given as ``[features, rows]`` with non-finite values as NaN."""
        ordered = np.sort(columns, axis=1)
        below = np.empty(self._grid.shape, dtype=np.int64)
        for i in range(len(self.features)):
            below[i] = np.searchsorted(ordered[i], self._grid[i], side="left")
        finite = np.count_nonzero(~np.isnan(columns), axis=1)
        counts = np.diff(below, axis=1, prepend=0, append=finite[:, None]).astype(np.float64)
        n = finite.astype(np.float64)
        reference_rows = self._reference.sum(axis=1)
        spread = 1.0 / np.maximum(n, 1.0) + 1.0 / reference_rows
        mean, variance, mean_square, variance_square = self._moments
        location = (counts * self._location).sum(axis=1) / np.maximum(n, 1.0)
        z_location = np.abs(location - mean) / np.sqrt(np.maximum(variance, 1e-12) * spread)
        df = 2.0 * mean_square**2 / (np.maximum(variance_square, 1e-12) * spread)
        square = (counts * self._square).sum(axis=1) / np.maximum(n, 1.0)
        z_scale = np.abs(scores.chi2_z(df * square / mean_square, df))
        window_bins = np.asarray(
            np.bincount(self._bin_ids, weights=counts.ravel(), minlength=self._bin_counts.size),
            dtype=np.float64,
        ).reshape(self._bin_counts.shape)
        index = psi.index(window_bins, self._bin_counts, self._bin_valid)
        z_shape = psi.z(index, n, reference_rows, self._bin_valid.sum(axis=1).astype(np.float64))
        judged = self.judged & (n > 0)
        return Result(
            rows=n,
            nonfinite=(columns.shape[1] - finite).astype(np.int64),
            location=np.where(judged, z_location, 0.0),
            scale=np.where(judged, z_scale, 0.0),
            shape=np.where(judged, z_shape, 0.0),
            psi=np.where(judged, index, 0.0),
        )


def _segment_scores(counts: FloatArray, segment: BoolArray) -> tuple[FloatArray, FloatArray]:
    """``E[Z]`` and ``E[Z^2]`` of a standard normal restricted to each segment's quantiles.

    ``counts`` holds one feature's reference counts per row, padded with zeros where
    ``segment`` is False; padding scores 0. A segment empty in the reference (below the
    minimum) gets the score of its position, clipped to half a reference value from the end.
    """
    total = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    upper = np.minimum(np.cumsum(counts, axis=1) / total, 1.0)
    lower = np.maximum(upper - counts / total, 0.0)
    edge = 0.5 / total
    z_lower, z_upper, point = np.split(
        scores.ndtri(np.stack([lower, upper, np.clip(lower, edge, 1.0 - edge)])), 3
    )
    z_lower, z_upper, point = z_lower[0], z_upper[0], point[0]
    pdf_lower = np.exp(-0.5 * z_lower**2) / np.sqrt(2 * np.pi)
    pdf_upper = np.exp(-0.5 * z_upper**2) / np.sqrt(2 * np.pi)
    # z * pdf(z) -> 0 at the infinite ends; spelled out so inf * 0 is never evaluated.
    tail_lower = np.where(np.isfinite(z_lower), z_lower, 0.0) * pdf_lower
    tail_upper = np.where(np.isfinite(z_upper), z_upper, 0.0) * pdf_upper
    width = upper - lower
    wide = width > 0
    safe = np.where(wide, width, 1.0)
    location = np.where(wide, (pdf_lower - pdf_upper) / safe, point)
    square = np.where(wide, 1.0 + (tail_lower - tail_upper) / safe, point**2)
    return (
        np.asarray(np.where(segment, location, 0.0), dtype=np.float64),
        np.asarray(np.where(segment, square, 0.0), dtype=np.float64),
    )

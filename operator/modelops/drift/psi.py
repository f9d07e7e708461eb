"""Population stability index over the reference's quantile bins.

PSI is the divergence practitioners know, so it is what the server exports beside the
scores. Its null distribution is what makes a threshold honest: for a window of ``n`` rows
against ``N`` reference rows, ``PSI / (1/n + 1/N)`` is close to chi-square with
``bins - 1`` degrees of freedom, whatever the feature's distribution, because the bins are
reference quantiles. The fixed "PSI > 0.2" rule ignores ``n``; this does not.

Empty bins: both sides are smoothed with ``SMOOTHING`` pseudo-counts per bin (a Jeffreys
prior), so a bin empty on either side contributes a large but finite term. Bins empty in the
reference are merged away when the reference is built, so they only arise from ties.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from modelops.drift import scores

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SMOOTHING = 0.5
"""Pseudo-count added to every bin of both distributions before taking logarithms."""


def bin_of_segments(grid: FloatArray, edges: FloatArray) -> IntArray:
    """For each segment of ``grid`` (see ``marginal``), the PSI bin it belongs to.

    Segment 0 lies below ``grid[0]``; segment ``j`` starts at ``grid[j - 1]``. Every edge is
    a grid point, so a segment never straddles two bins.
    """
    starts = np.searchsorted(edges, grid, side="right")
    return np.concatenate([[0], starts]).astype(np.int64)


def merge_empty(grid: FloatArray, grid_counts: IntArray, edges: FloatArray) -> FloatArray:
    """Drop edges until no bin is empty in the reference (ties make empty bins)."""
    while edges.size:
        counts = np.bincount(
            bin_of_segments(grid, edges), weights=grid_counts, minlength=edges.size + 1
        )
        empty = np.flatnonzero(counts == 0)
        if not empty.size:
            break
        drop = min(int(empty[0]), edges.size - 1)
        edges = np.delete(edges, drop)
    return edges


def index(window: FloatArray, reference: FloatArray, valid: NDArray[np.bool_]) -> FloatArray:
    """PSI per row of ``[features, bins]`` count matrices, over the ``valid`` bins only."""
    bins = valid.sum(axis=1, keepdims=True)
    p = (window + SMOOTHING) / (window.sum(axis=1, keepdims=True) + SMOOTHING * bins)
    q = (reference + SMOOTHING) / (reference.sum(axis=1, keepdims=True) + SMOOTHING * bins)
    terms = np.where(valid, (p - q) * np.log(p / q), 0.0)
    return np.asarray(terms.sum(axis=1), dtype=np.float64)


def z(
    psi: FloatArray, rows: FloatArray, reference_rows: FloatArray, bins: FloatArray
) -> FloatArray:
    """Normal deviate of each PSI under "same distribution" (chi-square, ``bins - 1`` df)."""
    statistic = psi / (1.0 / np.maximum(rows, 1.0) + 1.0 / reference_rows)
    return np.where(bins > 1, scores.chi2_z(statistic, bins - 1.0), 0.0)

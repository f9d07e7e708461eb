"""The seeded holdout split: which rows train the model and which measure it.

Sizes are scikit-learn's (``ceil(fraction * n)`` held out). Stratified, each class holds
out its share of that, rounded by largest remainder so the total is exact; within a
class the held-out rows are a seeded random choice. scikit-learn's ``train_test_split``
does the same job through general-purpose validation that costs ~5 ms at 10k rows, more
than fitting a linear model on them; this is one permutation and one sort.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from modelops.runtime.train.errors import InvalidDataset

Rows = NDArray[np.intp]


def holdout(target: np.ndarray, fraction: float, seed: int, stratify: bool) -> tuple[Rows, Rows]:
    """(training rows, holdout rows), each ascending; ``target`` stratifies when asked."""
    n = len(target)
    held = math.ceil(fraction * n)
    if held < 1 or held >= n:
        raise InvalidDataset(
            f"cannot hold out {fraction:g} of {n} rows: both sides need at least one row; add rows"
        )
    order = np.random.default_rng(seed).permutation(n)
    chosen = _stratified(target, order, held, fraction) if stratify else order[:held]
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _stratified(target: np.ndarray, order: Rows, held: int, fraction: float) -> Rows:
    _, inverse, counts = np.unique(target, return_inverse=True, return_counts=True)
    n = len(target)
    if counts.min() < 2:
        raise InvalidDataset(
            f"cannot hold out {fraction:g} of {n} rows: a class has only one row, and every "
            "class needs at least 2; add rows of that class or drop it"
        )
    if held < len(counts) or n - held < len(counts):
        raise InvalidDataset(
            f"cannot hold out {fraction:g} of {n} rows with {len(counts)} classes: each side "
            "needs a row of every class; add rows or change dataset.holdoutFraction"
        )
    shares = _largest_remainder(counts, held)
    # Rows grouped by class, in the seeded random order within each class.
    grouped = order[np.argsort(inverse.ravel()[order], kind="stable")]
    starts = np.cumsum(counts) - counts
    picks = np.concatenate([grouped[s : s + k] for s, k in zip(starts, shares, strict=True)])
    return np.asarray(picks, dtype=np.intp)


def _largest_remainder(counts: NDArray[np.int64], total: int) -> NDArray[np.int64]:
    """Integer shares of ``total`` in proportion to ``counts``, summing to ``total`` exactly;
    ties go to the larger class, then the earlier one."""
    exact = counts * total / counts.sum()
    shares: NDArray[np.int64] = np.floor(exact).astype(np.int64)
    left = total - int(shares.sum())
    if left:
        rank = np.lexsort((np.arange(len(counts)), -counts, -(exact - shares)))
        shares[rank[:left]] += 1
    return shares

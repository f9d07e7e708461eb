"""Multivariate drift: changes in how features move together, which per-feature tests miss.

Two features can keep their marginal distributions while becoming correlated; no test on
one feature at a time can see that. Features are winsorised at the reference's
``CLIP`` and ``1 - CLIP`` quantiles and standardised (bounded values keep the tests honest
for heavy-tailed data), then two complementary tests run on the complete rows of a window:

- pairwise covariance, for a change concentrated in a few pairs: each pair's mean product
  against its reference mean and variance (a z-test per pair, Bonferroni over the pairs);
- PCA reconstruction error, for a change spread over many pairs (a weakening factor, rows
  leaving the reference's subspace): the mean squared residual after projecting onto the
  principal components that hold ``EXPLAINED`` of the reference's variance, against its
  mean and variance on held-out reference rows.

The components are fitted on a random half of the reference and calibrated on the other,
so the reference error distribution is the one unseen data would have.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

CLIP = 0.005
EXPLAINED = 0.9
MAX_PAIR_FEATURES = 100
"""Above this many numeric features the pairwise test (and its d^2 storage) is skipped."""
MIN_ROWS = 20
"""Fewer complete reference rows than this and there is no multivariate test."""


@dataclass(frozen=True, eq=False)
class Model:
    """The multivariate part of the reference, as stored in reference.json."""

    low: FloatArray
    high: FloatArray
    center: FloatArray
    scale: FloatArray
    components: FloatArray
    """``[k, features]``, orthonormal rows."""
    error_mean: float
    error_var: float
    calibration_rows: int
    pair_mean: FloatArray | None
    """``[features, features]`` mean products, or None when the pairwise test is off."""
    pair_var: FloatArray | None
    rows: int

    def __post_init__(self) -> None:
        d = self.center.size
        for name in ("low", "high", "scale"):
            if getattr(self, name).shape != (d,):
                raise ValueError(f"multivariate.{name} must have one value per numeric feature")
        if self.components.ndim != 2 or self.components.shape[1] != d:
            raise ValueError("multivariate.components must be a [k, features] matrix")
        if np.any(self.scale <= 0):
            raise ValueError("multivariate.scale must be positive")
        if (self.pair_mean is None) != (self.pair_var is None):
            raise ValueError("multivariate.pair_mean and pair_var come together")
        for name in ("pair_mean", "pair_var"):
            value = getattr(self, name)
            if value is not None and value.shape != (d, d):
                raise ValueError(f"multivariate.{name} must be a [features, features] matrix")
        if self.error_var < 0 or self.calibration_rows < 1 or self.rows < 1:
            raise ValueError("multivariate error_var, calibration_rows and rows must be positive")

    @property
    def pairs(self) -> int:
        d = self.center.size
        return d * (d - 1) // 2 if self.pair_mean is not None else 0

    def standardise(self, rows: FloatArray) -> FloatArray:
        return np.asarray((np.clip(rows, self.low, self.high) - self.center) / self.scale)

    def errors(self, standard: FloatArray) -> FloatArray:
        projected = standard @ self.components.T
        return np.asarray((standard**2).sum(axis=1) - (projected**2).sum(axis=1))

    def error_z(self, rows: FloatArray) -> float:
        """|z| of the window's mean reconstruction error; ``rows`` are complete rows."""
        errors = self.errors(self.standardise(rows))
        spread = 1.0 / errors.size + 1.0 / self.calibration_rows
        return abs(float(errors.mean()) - self.error_mean) / float(
            np.sqrt(max(self.error_var, 1e-12) * spread)
        )

    def pair_z(self, rows: FloatArray) -> FloatArray:
        """|z| of each pair's mean product, ``[features, features]``, zero on the diagonal."""
        if self.pair_mean is None or self.pair_var is None:
            return np.zeros((self.center.size, self.center.size))
        standard = self.standardise(rows)
        products = standard.T @ standard / rows.shape[0]
        spread = 1.0 / rows.shape[0] + 1.0 / self.rows
        z = np.abs(products - self.pair_mean) / np.sqrt(np.maximum(self.pair_var, 1e-12) * spread)
        np.fill_diagonal(z, 0.0)
        return np.asarray(z, dtype=np.float64)


def fit(rows: FloatArray, seed: int, ordered: FloatArray | None = None) -> Model | None:
    """Fit on the complete reference rows ``[rows, features]``; None if too few of them.

    ``ordered``, when the caller has it, is ``rows`` sorted within each feature, as
    ``[features, rows]``; it saves sorting them again.
    """
    count, d = rows.shape
    if d < 2 or count < MIN_ROWS:
        return None
    if ordered is None:
        ordered = np.sort(rows.T, axis=1)
    low, high = _quantiles(ordered, np.array([CLIP, 1.0 - CLIP]))
    # In place where it can be: each fresh array of this size is page faults in a new process.
    standard = np.clip(rows, low, high)
    center = standard.mean(axis=0)
    standard -= center
    squares = standard * standard
    spread = np.sqrt(squares.mean(axis=0))  # the clipped rows' std
    scale = np.where(spread > 0, spread, 1.0)
    standard /= scale
    squares /= scale * scale
    # Rows in a seeded random order: the first half fits the components, the rest calibrates.
    shuffled = standard[np.random.default_rng(seed).permutation(count)]
    fitting, calibration = shuffled[: count // 2], shuffled[count // 2 :]
    eigenvalues, eigenvectors = np.linalg.eigh(fitting.T @ fitting / fitting.shape[0])
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    share = np.cumsum(eigenvalues) / max(float(eigenvalues.sum()), 1e-12)
    k = min(int(np.searchsorted(share, EXPLAINED)) + 1, d - 1)
    pair_mean = pair_var = None
    if d <= MAX_PAIR_FEATURES:
        pair_mean = standard.T @ standard / count
        pair_var = squares.T @ squares / count - pair_mean**2
    model = Model(
        low=low,
        high=high,
        center=center,
        scale=scale,
        components=np.ascontiguousarray(eigenvectors[:, :k].T),
        error_mean=0.0,
        error_var=0.0,
        calibration_rows=calibration.shape[0],
        pair_mean=pair_mean,
        pair_var=pair_var,
        rows=count,
    )
    errors = model.errors(calibration)
    return replace(model, error_mean=float(errors.mean()), error_var=float(errors.var()))


def _quantiles(ordered: FloatArray, q: FloatArray) -> FloatArray:
    """Per-feature quantiles ``[len(q), features]`` of ``ordered`` (``[features, rows]``,
    sorted within each feature), linearly interpolated as ``np.quantile`` does by default."""
    count = ordered.shape[1]
    position = q * (count - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, count - 1)
    fraction = position - below
    low, high = ordered[:, below].T, ordered[:, above].T
    return np.asarray(low + fraction[:, None] * (high - low))

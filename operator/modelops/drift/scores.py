"""One scale for every drift test, so that scores from different tests compare.

Each test turns its statistic into a normal deviate ``z`` (chi-square statistics through the
Wilson-Hilferty cube-root transform) and divides it by a critical value chosen by Bonferroni:
the family of all tests on one window has a false-alarm probability of at most
``false_alarm_rate``. A score is therefore ``z / critical``: 1.0 is the threshold of drift,
2.0 a deviation twice as many standard errors as the threshold, 0 no evidence at all.

Budget: every per-feature test (location, scale, PSI, categorical frequencies) and each of
the two multivariate tests gets an equal share ``rate / tests``; the pairwise covariance test
splits its share again over the pairs it watches.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

MIN_WINDOW = 200
"""Fewest values a test needs before it speaks; below it a window scores 0 (too few to judge)."""


@dataclass(frozen=True)
class Thresholds:
    """Critical normal deviates for one window, calibrated when the reference is built."""

    false_alarm_rate: float
    """Probability that a window drawn from the reference distribution is called drifted."""
    tests: int
    """How many tests share ``false_alarm_rate``."""
    two_sided: float
    """Critical |z| for location, scale and the reconstruction-error test."""
    one_sided: float
    """Critical z for chi-square tests (PSI, categorical frequencies)."""
    pairwise: float
    """Critical |z| for one pair's covariance."""

    @classmethod
    def for_tests(cls, false_alarm_rate: float, tests: int, pairs: int) -> Thresholds:
        if not 0.0 < false_alarm_rate < 1.0:
            raise ValueError(f"false_alarm_rate must be in (0, 1), got {false_alarm_rate}")
        share = false_alarm_rate / max(tests, 1)
        return cls(
            false_alarm_rate=false_alarm_rate,
            tests=tests,
            two_sided=_upper(share / 2),
            one_sided=_upper(share),
            pairwise=_upper(share / (2 * max(pairs, 1))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "false_alarm_rate": self.false_alarm_rate,
            "tests": self.tests,
            "two_sided": self.two_sided,
            "one_sided": self.one_sided,
            "pairwise": self.pairwise,
        }


def _upper(tail: float) -> float:
    return float(ndtri(np.array([1.0 - tail]))[0])


_NORMAL = NormalDist()


def ndtri(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The standard normal quantile of each probability; -inf at 0 and inf at 1.

    The standard library's (Wichura's AS241, full double precision), so serving pods
    need not import scipy for a computation made once per reference.
    """
    flat = np.asarray(p, dtype=np.float64).ravel()
    out = np.empty_like(flat)
    for i, value in enumerate(flat):
        if value <= 0.0:
            out[i] = -np.inf
        elif value >= 1.0:
            out[i] = np.inf
        else:
            out[i] = _NORMAL.inv_cdf(float(value))
    return out.reshape(np.shape(p))


def chi2_z(statistic: FloatArray, df: FloatArray) -> FloatArray:
    """Normal deviate of a chi-square statistic (Wilson-Hilferty); never overflows."""
    df = np.maximum(df, 1e-9)
    spread = 2.0 / (9.0 * df)
    root = np.cbrt(np.maximum(statistic, 0.0) / df)
    return np.asarray((root - (1.0 - spread)) / np.sqrt(spread), dtype=np.float64)


def ratio(z: FloatArray, critical: float) -> FloatArray:
    """Score on the common scale: 1.0 at the critical value, never negative."""
    return np.asarray(np.maximum(z, 0.0) / critical, dtype=np.float64)

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


# Wichura's algorithm AS241 (Applied Statistics 37(3), 1988): rational approximations
# in three regions of p, accurate to about 1e-16. Coefficients highest degree first.
_CENTRAL = (
    np.array([2.5090809287301226727e3, 3.3430575583588128105e4, 6.7265770927008700853e4,
              4.5921953931549871457e4, 1.3731693765509461125e4, 1.9715909503065514427e3,
              1.3314166789178437745e2, 3.3871328727963666080e0]),
    np.array([5.2264952788528545610e3, 2.8729085735721942674e4, 3.9307895800092710610e4,
              2.1213794301586595867e4, 5.3941960214247511077e3, 6.8718700749205790830e2,
              4.2313330701600911252e1, 1.0]),
)  # fmt: skip
_NEAR_TAIL = (
    np.array([7.7454501427834140764e-4, 2.2723844989269184583e-2, 2.4178072517745061177e-1,
              1.2704582524523683826e0, 3.6478483247632045960e0, 5.7694972214606914055e0,
              4.6303378461565452959e0, 1.4234371107496835773e0]),
    np.array([1.0507500716444168432e-9, 5.4759380849953449460e-4, 1.5198666563616457197e-2,
              1.4810397642748007459e-1, 6.8976733498510000455e-1, 1.6763848301838038494e0,
              2.0531916266377588219e0, 1.0]),
)  # fmt: skip
_FAR_TAIL = (
    np.array([2.0103343992922881327e-7, 2.7115555687434875782e-5, 1.2426609473880784386e-3,
              2.6532189526576123093e-2, 2.9656057182850489123e-1, 1.7848265399172913358e0,
              5.4637849111641143699e0, 6.6579046435011037772e0]),
    np.array([2.0442631033899397856e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5,
              7.8686913114561325910e-4, 1.4875361290850614853e-2, 1.3692988092273580531e-1,
              5.9983220655588793769e-1, 1.0]),
)  # fmt: skip


def _rational(coefficients: tuple[FloatArray, FloatArray], x: FloatArray) -> FloatArray:
    numerator, denominator = coefficients
    top, bottom = np.full_like(x, numerator[0]), np.full_like(x, denominator[0])
    for a, b in zip(numerator[1:], denominator[1:], strict=True):  # Horner
        top *= x
        top += a
        bottom *= x
        bottom += b
    return np.asarray(top / bottom)


def ndtri(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The standard normal quantile of each probability; -inf at 0 and inf at 1, NaN outside.

    Vectorised AS241 (the algorithm behind the standard library's ``NormalDist.inv_cdf``),
    so serving pods need not import scipy for a computation made once per reference.
    """
    values = np.asarray(p, dtype=np.float64)
    q = values - 0.5
    central = np.abs(q) <= 0.425
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 0.180625 - q * q
        inner = q * _rational(_CENTRAL, r)
        tail = np.sqrt(-np.log(np.where(q < 0.0, values, 1.0 - values)))
        outer = np.where(
            tail <= 5.0, _rational(_NEAR_TAIL, tail - 1.6), _rational(_FAR_TAIL, tail - 5.0)
        )
    outer = np.where(q < 0.0, -outer, outer)
    result = np.where(central, inner, outer)
    result = np.where(values <= 0.0, -np.inf, np.where(values >= 1.0, np.inf, result))
    result = np.where((values < 0.0) | (values > 1.0) | np.isnan(values), np.nan, result)
    return np.asarray(result, dtype=np.float64)


def chi2_z(statistic: FloatArray, df: FloatArray) -> FloatArray:
    """Normal deviate of a chi-square statistic (Wilson-Hilferty); never overflows."""
    df = np.maximum(df, 1e-9)
    spread = 2.0 / (9.0 * df)
    root = np.cbrt(np.maximum(statistic, 0.0) / df)
    return np.asarray((root - (1.0 - spread)) / np.sqrt(spread), dtype=np.float64)


def ratio(z: FloatArray, critical: float) -> FloatArray:
    """Score on the common scale: 1.0 at the critical value, never negative."""
    return np.asarray(np.maximum(z, 0.0) / critical, dtype=np.float64)

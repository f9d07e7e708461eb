"""Confidence bounds the detectors share, so "significant" means one thing in every finding.

A detector compares an observed rate or mean with a threshold at the observation's
*optimistic* bound (the end of its confidence interval most favourable to the model):
a finding then says the flaw is at least that large, at the stated confidence, and a
small or noisy sample raises none. ``passes_at`` turns a measured bound into the
policy value that would let the model through.
"""

from __future__ import annotations

import math

from scipy.stats import norm


def z_score(confidence: float, tests: int = 1) -> float:
    """The one-sided normal quantile for ``confidence``, Bonferroni-corrected over ``tests``."""
    alpha = (1.0 - confidence) / max(tests, 1)
    return float(norm.isf(alpha))


def wilson(successes: float, rows: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion: sound for small samples and rates near 0 or 1."""
    if rows == 0:
        return 0.0, 1.0
    p = successes / rows
    denominator = 1.0 + z * z / rows
    centre = (p + z * z / (2 * rows)) / denominator
    half = z * math.sqrt(p * (1 - p) / rows + z * z / (4 * rows * rows)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def passes_at(bound: float, digits: int = 2, ceiling: float = 1.0) -> str | None:
    """The smallest round threshold above ``bound``, or None when no allowed value is."""
    step = 10.0**-digits
    value = math.floor(bound / step + 1.0) * step
    if value > ceiling:
        return None
    return f"{value:.{digits}f}"

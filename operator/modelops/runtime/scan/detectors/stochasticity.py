"""Stochasticity: the same rows must give the same outputs, in any order and batch.

A model whose outputs change between identical calls (random layers left on,
batch-dependent normalisation, racy custom operators) cannot be validated at all:
what was scanned is not what will serve. The rows are run twice as they are and
once in reverse order; outputs differing beyond float32 rounding are a medium finding.
"""

from __future__ import annotations

import numpy as np

from modelops.api.validation import Finding, Severity
from modelops.runtime.scan.model import Predictions
from modelops.runtime.scan.subject import Subject

DETECTOR = "stochasticity"
MAX_ROWS = 2_000
RELATIVE_TOLERANCE = 1e-5
ABSOLUTE_TOLERANCE = 1e-6


def detect(subject: Subject) -> list[Finding]:
    """A finding when repeated or re-ordered runs disagree with the first one."""
    features = subject.features.take(slice(0, MAX_ROWS))
    first = subject.model.predict(features)
    again = subject.model.predict(features)
    reverse = np.arange(features.rows)[::-1].copy()
    reordered = subject.model.predict(features.take(reverse))
    differences = {
        "a repeated call": _difference(first, again, None),
        "rows in reverse order": _difference(first, reordered, reverse),
    }
    worst = max(differences.values())
    if worst == 0.0:
        return []
    cases = ", ".join(f"{case} ({diff:.3g})" for case, diff in differences.items() if diff > 0)
    return [
        Finding(
            detector=DETECTOR,
            severity=Severity.MEDIUM,
            metric="max_output_difference",
            value=worst,
            threshold=ABSOLUTE_TOLERANCE,
            setting="validation.stochasticity.enabled",
            passes_at="false",
            message=f"the same rows gave different outputs for {cases}; make inference "
            "deterministic (no dropout or sampling at inference, no batch statistics)",
        )
    ]


def _difference(first: Predictions, other: Predictions, order: np.ndarray | None) -> float:
    """Largest output difference beyond tolerance (1.0 for a changed label), else 0."""
    pairs = [
        (first.probabilities, other.probabilities),
        (first.values, other.values),
    ]
    worst = 0.0
    if first.labels is not None and other.labels is not None:
        labels = other.labels if order is None else other.labels[np.argsort(order)]
        if np.any(first.labels != labels):
            worst = 1.0
    for mine, theirs in pairs:
        if mine is None or theirs is None:
            continue
        aligned = theirs if order is None else theirs[np.argsort(order)]
        if not np.allclose(mine, aligned, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
            worst = max(worst, float(np.max(np.abs(mine - aligned))))
    return worst

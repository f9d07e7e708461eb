"""Robustness: predictions should not change when the inputs barely move, within their domain.

The perturbation moves every numeric feature at once by ``perturbation`` times its
own spread (the inter-quartile range / 1.349, which is the standard deviation of a
normal distribution; the standard deviation where the IQR is 0), up or down at
random, and keeps it inside the range the holdout shows:

* a continuous feature moves by exactly that amount;
* an integer feature (a year, a count) moves by one step, on that fraction of
  the rows (``perturbation x spread``, at most all of them), so it stays an integer
  and moves by the same amount on average: a year column moves a year, not 1%
  (twenty years of 1990);
* a binary feature (two integer values), a constant one, a categorical one and a
  missing value do not move: no change
  of category is small, so a flip there says nothing about fragility.

A classifier's prediction changes when its label flips; a regressor's when it moves
by more than ``max(0.25, 4 x perturbation)`` standard deviations of the target (a
tree ensemble's steps are that coarse on sound models).

Null hypothesis: the model's output is a smooth enough function of its inputs that
at most ``threshold`` of predictions change under such a move. The change rate's
lower 99% Wilson bound above the threshold is a major finding (under the null
hypothesis that happens in fewer than 1 scan in 100); the point estimate above it
alone is medium. Findings name the features whose move alone changes the most
predictions. At most ``MAX_ROWS`` rows, sampled with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import SETTING_FIELDS, Finding, Settings, Severity
from modelops.runtime.scan.detectors import bounds
from modelops.runtime.scan.features import Features
from modelops.runtime.scan.subject import Subject

DETECTOR = "robustness"
MAX_ROWS = 10_000
#: A regression output moving by more than this many target stds (at least) has changed.
REGRESSION_TOLERANCE = 0.25
CONFIDENCE = 0.99
#: Features named in a finding.
TOP_FEATURES = 3

Changed = Callable[[NDArray[np.generic], NDArray[np.generic]], NDArray[np.bool_]]


def perturb(
    numeric: NDArray[np.float32], fraction: float, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Every column moved by ``fraction`` of its spread, in its domain (see the module doc)."""
    moved = numeric.astype(np.float64)
    rows = numeric.shape[0]
    for index in range(numeric.shape[1]):
        column = moved[:, index]
        finite = np.isfinite(column)
        values = column[finite]
        integral = bool(np.all(values == np.round(values)))
        if len(np.unique(values)) < 2 or (integral and len(np.unique(values)) == 2):
            continue
        spread = _spread(values)
        sign = rng.choice([-1.0, 1.0], size=rows)
        if integral:
            step = (rng.random(rows) < min(1.0, fraction * spread)) * sign
        else:
            step = fraction * spread * sign
        shifted = np.clip(column + step, values.min(), values.max())
        moved[:, index] = np.where(finite, shifted, column)
    return moved.astype(np.float32)


def _spread(values: NDArray[np.float64]) -> float:
    low, high = np.quantile(values, [0.25, 0.75])
    iqr = float(high - low) / 1.349
    return iqr if iqr > 0 else float(values.std())


def detect(subject: Subject, settings: Settings) -> list[Finding]:
    """A finding when the perturbation changes too many predictions."""
    features = subject.features
    if not features.numeric_names:
        return []
    rng = np.random.default_rng(0)
    rows = (
        np.sort(rng.choice(features.rows, MAX_ROWS, replace=False))
        if features.rows > MAX_ROWS
        else np.arange(features.rows)
    )
    sample = features.take(rows)
    baseline = subject.outcome[rows]
    changed = _change_test(subject, settings.robustness_perturbation)
    perturbed = perturb(sample.numeric, settings.robustness_perturbation, rng)
    moved = subject.outcome_of(subject.model.predict(sample.with_numeric(perturbed)))
    flips = changed(baseline, moved)
    count = int(flips.sum())
    rate = count / len(flips)
    threshold = settings.robustness_threshold
    if rate <= threshold:
        return []
    low, _ = bounds.wilson(count, len(flips), bounds.z_score(CONFIDENCE))
    severity = Severity.MAJOR if low > threshold else Severity.MEDIUM
    culprits = _culprits(subject, sample, baseline, perturbed, changed)
    verb = "flip" if subject.task == Task.CLASSIFICATION else "change"
    passes = bounds.passes_at(rate)
    return [
        Finding(
            detector=DETECTOR,
            severity=severity,
            feature=culprits[0][0] if culprits else None,
            metric="change_rate",
            value=rate,
            threshold=threshold,
            setting=SETTING_FIELDS["robustness_threshold"]
            if passes
            else "validation.robustness.enabled",
            passes_at=passes or "false",
            message=f"{rate:.1%} of predictions {verb} (at least {low:.1%} at 99% confidence) when "
            f"each numeric feature moves by {settings.robustness_perturbation:g} of its spread, "
            f"within its range (threshold {threshold:.1%}); most sensitive alone: "
            + (", ".join(f"{feature} ({share:.1%})" for feature, share in culprits) or "none")
            + ". Regularise the model or smooth its dependence on these features",
        )
    ]


def _change_test(subject: Subject, fraction: float) -> Changed:
    if subject.task == Task.CLASSIFICATION:
        return lambda before, after: np.asarray(before != after)
    scale = max(REGRESSION_TOLERANCE, 4 * fraction)
    tolerance = scale * float(np.std(np.asarray(subject.y, dtype=np.float64)))
    return lambda before, after: np.asarray(
        np.abs(after.astype(np.float64) - before.astype(np.float64)) > tolerance
    )


def _culprits(
    subject: Subject,
    sample: Features,
    baseline: NDArray[np.generic],
    perturbed: NDArray[np.float32],
    changed: Changed,
) -> list[tuple[str, float]]:
    """The features whose move alone changes the most predictions."""
    shares: list[tuple[str, float]] = []
    for index, feature in enumerate(sample.numeric_names):
        if np.array_equal(perturbed[:, index], sample.numeric[:, index], equal_nan=True):
            continue
        numeric = sample.numeric.copy()
        numeric[:, index] = perturbed[:, index]
        moved = subject.outcome_of(subject.model.predict(sample.with_numeric(numeric)))
        shares.append((feature, float(np.mean(changed(baseline, moved)))))
    shares.sort(key=lambda pair: pair[1], reverse=True)
    return [pair for pair in shares[:TOP_FEATURES] if pair[1] > 0]

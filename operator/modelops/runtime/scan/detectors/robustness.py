"""Robustness: predictions should not change when numeric inputs barely move.

Three perturbations of every numeric feature at once: x1.01, x0.99 and Gaussian
noise of ``noise`` x each feature's standard deviation. A classifier's prediction
"changes" when its label flips; a regressor's when it moves by more than 10% of the
target's standard deviation. A change rate above the threshold is a finding (major
past twice the threshold, medium otherwise), naming the features that cause the
most changes on their own. Scans at most ``MAX_ROWS`` rows, sampled with a fixed
seed, so the result is reproducible and large holdouts stay fast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, RobustnessPolicy, Severity
from modelops.runtime.scan.features import Features
from modelops.runtime.scan.subject import Subject

DETECTOR = "robustness"
MAX_ROWS = 10_000
#: A regression output moving by more than this fraction of the target's std has changed.
REGRESSION_TOLERANCE = 0.1
#: Features named in a finding.
TOP_FEATURES = 3

Perturbation = Callable[[NDArray[np.float32]], NDArray[np.float32]]


def detect(subject: Subject, policy: RobustnessPolicy) -> list[Finding]:
    """A finding for each perturbation that changes too many predictions."""
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
    changed = _change_test(subject)
    scale = np.nan_to_num(np.nanstd(sample.numeric, axis=0)) * policy.noise
    noise = rng.normal(0.0, 1.0, size=sample.numeric.shape) * scale
    perturbations: dict[str, Perturbation] = {
        "x1.01": lambda x: x * np.float32(1.01),
        "x0.99": lambda x: x * np.float32(0.99),
        f"gaussian noise ({policy.noise:g} std)": lambda x: x + noise.astype(np.float32),
    }
    findings: list[Finding] = []
    for name, perturb in perturbations.items():
        moved = subject.outcome_of(
            subject.model.predict(sample.with_numeric(perturb(sample.numeric)))
        )
        rate = float(np.mean(changed(baseline, moved)))
        if rate <= policy.threshold:
            continue
        culprits = _culprits(subject, sample, baseline, perturb, changed)
        severity = Severity.MAJOR if rate > 2 * policy.threshold else Severity.MEDIUM
        verb = "flip" if subject.task == Task.CLASSIFICATION else "change"
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=severity,
                feature=culprits[0][0] if culprits else None,
                metric="change_rate",
                value=rate,
                threshold=policy.threshold,
                message=f"{rate:.1%} of predictions {verb} when numeric features are perturbed "
                f"by {name} (threshold {policy.threshold:.1%}); most sensitive: "
                + ", ".join(f"{feature} ({share:.1%})" for feature, share in culprits),
            )
        )
    return findings


def _change_test(
    subject: Subject,
) -> Callable[[NDArray[np.generic], NDArray[np.generic]], NDArray[np.bool_]]:
    if subject.task == Task.CLASSIFICATION:
        return lambda before, after: np.asarray(before != after)
    tolerance = REGRESSION_TOLERANCE * float(np.std(np.asarray(subject.y, dtype=np.float64)))
    return lambda before, after: np.asarray(
        np.abs(after.astype(np.float64) - before.astype(np.float64)) > tolerance
    )


def _culprits(
    subject: Subject,
    sample: Features,
    baseline: NDArray[np.generic],
    perturb: Perturbation,
    changed: Callable[[NDArray[np.generic], NDArray[np.generic]], NDArray[np.bool_]],
) -> list[tuple[str, float]]:
    """The features whose perturbation alone changes the most predictions."""
    perturbed = perturb(sample.numeric)
    shares: list[tuple[str, float]] = []
    for index, feature in enumerate(sample.numeric_names):
        numeric = sample.numeric.copy()
        numeric[:, index] = perturbed[:, index]
        moved = subject.outcome_of(subject.model.predict(sample.with_numeric(numeric)))
        shares.append((feature, float(np.mean(changed(baseline, moved)))))
    shares.sort(key=lambda pair: pair[1], reverse=True)
    return [pair for pair in shares[:TOP_FEATURES] if pair[1] > 0]

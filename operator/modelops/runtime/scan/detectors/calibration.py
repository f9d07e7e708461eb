"""Over- and underconfidence: do a classifier's probabilities mean what they say?

The confidence of a prediction is the probability of the predicted class. Null
hypothesis: the model is calibrated, so on average its confidence equals its
accuracy. The gap ``mean(confidence) - accuracy`` is measured with its normal
99% interval (from the spread of ``confidence - correct`` over the rows):

* overconfidence: the gap's lower bound above ``threshold`` is a major finding;
  the model claims more certainty than it has, and nobody downstream will
  question its errors (under the null hypothesis: fewer than 1 scan in 100);
* underconfidence: the gap's upper bound below ``-threshold`` is medium; it wastes
  the probabilities' use for ranking and thresholds, but misleads nobody;
* wrong predictions made with high confidence (mean confidence on at least
  ``MIN_ERRORS`` errors above ``1 - threshold``) are medium.

Expected calibration error over ten equal-width bins is reported beside them, as
is the reliability diagram; it is biased upward on small holdouts, so it decides
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modelops.api.validation import SETTING_FIELDS, Finding, Settings, Severity
from modelops.runtime.scan.detectors import bounds
from modelops.runtime.scan.subject import Subject

DETECTOR = "calibration"
BINS = 10
CONFIDENCE = 0.99
#: Fewer errors than this say too little about confidence on errors.
MIN_ERRORS = 10


@dataclass(frozen=True)
class Bin:
    """One confidence bin of the reliability diagram."""

    low: float
    high: float
    rows: int
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class Calibration:
    """The reliability diagram and the numbers the findings are made from."""

    ece: float
    mean_confidence: float
    accuracy: float
    #: ``mean_confidence - accuracy`` and its two-sided 99% interval.
    gap: float
    gap_low: float
    gap_high: float
    mean_confidence_wrong: float | None
    bins: list[Bin]


def detect(subject: Subject, settings: Settings) -> tuple[list[Finding], Calibration]:
    """Findings on calibration, and the reliability diagram for the report."""
    assert subject.predictions.probabilities is not None
    rows = np.arange(len(subject.y))
    confidence = subject.predictions.probabilities[rows, subject.outcome.astype(np.int64)]
    correct = subject.outcome == subject.y
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, BINS - 1)
    bins = [
        Bin(
            float(edges[b]),
            float(edges[b + 1]),
            int((which == b).sum()),
            float(confidence[which == b].mean()),
            float(correct[which == b].mean()),
        )
        for b in range(BINS)
        if (which == b).any()
    ]
    ece = sum(b.rows * abs(b.accuracy - b.confidence) for b in bins) / len(rows)
    difference = confidence - correct
    gap = float(difference.mean())
    half = (
        bounds.z_score(1 - (1 - CONFIDENCE) / 2)
        * float(difference.std(ddof=1))
        / np.sqrt(len(rows))
        if len(rows) > 1
        else 1.0
    )
    wrong = ~correct
    calibration = Calibration(
        ece=ece,
        mean_confidence=float(confidence.mean()),
        accuracy=float(correct.mean()),
        gap=gap,
        gap_low=gap - half,
        gap_high=gap + half,
        mean_confidence_wrong=float(confidence[wrong].mean()) if wrong.any() else None,
        bins=bins,
    )
    return _findings(calibration, int(wrong.sum()), settings), calibration


def _findings(calibration: Calibration, errors: int, settings: Settings) -> list[Finding]:
    threshold = settings.calibration_threshold
    setting = SETTING_FIELDS["calibration_threshold"]
    findings: list[Finding] = []
    said = (
        f"mean confidence {calibration.mean_confidence:.3f} against accuracy "
        f"{calibration.accuracy:.3f} (expected calibration error {calibration.ece:.3f})"
    )
    if calibration.gap_low > threshold:
        passes = bounds.passes_at(calibration.gap_low)
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=Severity.MAJOR,
                metric="overconfidence",
                value=calibration.gap,
                threshold=threshold,
                setting=setting if passes else "validation.calibration.enabled",
                passes_at=passes or "false",
                message=f"overconfident: {said}; the gap is at least {calibration.gap_low:.3f} "
                f"at 99% confidence, over the {threshold:g} threshold. Calibrate the "
                "probabilities (CalibratedClassifierCV) or regularise the model",
            )
        )
    elif -calibration.gap_high > threshold:
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=Severity.MEDIUM,
                metric="underconfidence",
                value=calibration.gap,
                threshold=threshold,
                setting=setting,
                passes_at=bounds.passes_at(-calibration.gap_high),
                message=f"underconfident: {said}; calibrate the probabilities before using "
                "them as scores",
            )
        )
    wrong = calibration.mean_confidence_wrong
    if wrong is not None and errors >= MIN_ERRORS and wrong > 1.0 - threshold:
        # Raised while threshold > 1 - wrong: a smaller threshold lets it pass.
        below = np.floor((1.0 - wrong) * 1000) / 1000
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=Severity.MEDIUM,
                metric="mean_confidence_wrong",
                value=wrong,
                threshold=1.0 - threshold,
                setting=setting if below > 0 else "validation.calibration.enabled",
                passes_at=f"{below:.3f}" if below > 0 else "false",
                message=f"overconfident errors: the {errors} wrong predictions have mean "
                f"confidence {wrong:.3f}",
            )
        )
    return findings

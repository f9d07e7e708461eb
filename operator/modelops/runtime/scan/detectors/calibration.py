"""Over- and underconfidence: do a classifier's probabilities mean what they say?

Expected calibration error (ECE) over ten equal-width bins of the confidence (the
probability of the predicted class) above the threshold is a finding, called
overconfidence when mean confidence exceeds accuracy and underconfidence otherwise.
Separately, wrong predictions made with high confidence (mean confidence on the
errors above ``1 - threshold``, with at least ``MIN_ERRORS`` errors) are a finding:
those are the mistakes nobody downstream will question. Both are medium.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modelops.api.validation import CalibrationPolicy, Finding, Severity
from modelops.runtime.scan.subject import Subject

DETECTOR = "calibration"
BINS = 10
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
    mean_confidence_wrong: float | None
    bins: list[Bin]


def detect(subject: Subject, policy: CalibrationPolicy) -> tuple[list[Finding], Calibration]:
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
    wrong = ~correct
    calibration = Calibration(
        ece=ece,
        mean_confidence=float(confidence.mean()),
        accuracy=float(correct.mean()),
        mean_confidence_wrong=float(confidence[wrong].mean()) if wrong.any() else None,
        bins=bins,
    )
    return _findings(calibration, int(wrong.sum()), policy), calibration


def _findings(calibration: Calibration, errors: int, policy: CalibrationPolicy) -> list[Finding]:
    findings: list[Finding] = []
    if calibration.ece > policy.threshold:
        over = calibration.mean_confidence > calibration.accuracy
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=Severity.MEDIUM,
                metric="ece",
                value=calibration.ece,
                threshold=policy.threshold,
                message=f"{'over' if over else 'under'}confident: expected calibration error "
                f"{calibration.ece:.3f} (mean confidence {calibration.mean_confidence:.3f}, "
                f"accuracy {calibration.accuracy:.3f}); calibrate the probabilities",
            )
        )
    wrong = calibration.mean_confidence_wrong
    if wrong is not None and errors >= MIN_ERRORS and wrong > 1.0 - policy.threshold:
        findings.append(
            Finding(
                detector=DETECTOR,
                severity=Severity.MEDIUM,
                metric="mean_confidence_wrong",
                value=wrong,
                threshold=1.0 - policy.threshold,
                message=f"overconfident errors: the {errors} wrong predictions have mean "
                f"confidence {wrong:.3f}",
            )
        )
    return findings

"""The termination message the operator reads: small, camelCase, and never cut mid-JSON."""

from __future__ import annotations

import json

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, Severity
from modelops.runtime import termination
from modelops.runtime.scan import results
from modelops.runtime.scan.errors import InvalidModel
from modelops.runtime.scan.scanner import ScanResult


def result_with(findings: list[Finding]) -> ScanResult:
    return ScanResult(
        task=Task.CLASSIFICATION,
        holdout_uri="file:///data/holdout.parquet",
        rows=100,
        metrics={"accuracy": 0.91234567891, "roc_auc": None},
        findings=findings,
        passed=not findings,
        blocking=findings,
        notes=[],
        comparison=None,
        slices=[],
        calibration=None,
        feature_scores={},
        timings={},
    )


def slice_finding(index: int) -> Finding:
    return Finding(
        detector="slice_bias",
        severity=Severity.MAJOR,
        feature=f"feature_with_a_long_name_{index}",
        slice=f"0.5 < feature_with_a_long_name_{index} <= 0.75",
        metric="accuracy",
        value=0.5,
        threshold=0.1,
        message="x" * 1000,
    )


def test_many_long_blocking_findings_are_trimmed_to_fit_4_kib() -> None:
    message = results.termination_message(
        result_with([slice_finding(i) for i in range(40)]), "r", "f"
    )

    text = results.serialise(message)
    assert len(text.encode()) <= termination.LIMIT
    assert 1 <= len(message["blocking"]) <= 10
    assert message["summary"] == {"major": 40, "medium": 0, "minor": 0}
    first = message["blocking"][0]
    assert first["detector"] == "slice_bias"
    assert first["slice"] == "0.5 < feature_with_a_long_name_0 <= 0.75"
    assert first["message"].endswith("...") and len(first["message"]) <= 160
    assert message["metrics"] == {"accuracy": 0.912346}, "uncomputable metrics are left out"


def test_a_failed_scan_reports_its_reason() -> None:
    message = results.failure_message(InvalidModel("no 'probabilities' output"))

    assert message == {
        "ok": False,
        "reason": "InvalidModel",
        "message": "no 'probabilities' output",
    }
    assert json.loads(results.serialise(message)) == message

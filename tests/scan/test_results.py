"""The termination message the operator reads: small, camelCase, and never cut mid-JSON."""

from __future__ import annotations

import dataclasses
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


def slice_finding(index: int, severity: Severity = Severity.MAJOR) -> Finding:
    return Finding(
        detector="slice_bias",
        severity=severity,
        feature=f"feature_with_a_long_name_{index}",
        slice=f"0.5 < feature_with_a_long_name_{index} <= 0.75",
        metric="accuracy",
        value=0.5,
        threshold=0.1,
        setting="validation.sliceBias.threshold",
        passes_at="0.42",
        message="the model is worse on this slice than overall " * 20,
    )


def test_every_finding_is_in_the_summary_with_its_message_cut_at_a_word() -> None:
    findings = [slice_finding(i) for i in range(8)] + [slice_finding(9, Severity.MEDIUM)]
    result = result_with(findings)
    result = dataclasses.replace(result, blocking=findings[:8])

    message = results.termination_message(result, "r", "f")

    assert len(results.serialise(message).encode()) <= termination.LIMIT
    assert len(message["findings"]) == 9, "all findings, not the first three"
    assert [f["blocking"] for f in message["findings"]] == [True] * 8 + [False]
    for finding in message["findings"]:
        assert finding["message"].endswith(" ...")
        assert finding["message"][: -len(" ...")].endswith(
            ("overall", "the", "model", "is", "worse", "on", "this", "slice", "than")
        )
        assert finding["setting"] == "validation.sliceBias.threshold"
        assert finding["passesAt"] == "0.42"
    assert "omitted" not in message
    assert message["metrics"] == {"accuracy": 0.912346}, "uncomputable metrics are left out"


def test_too_many_findings_for_4_kib_keep_the_blocking_ones_and_count_the_rest() -> None:
    findings = [slice_finding(i) for i in range(60)]

    message = results.termination_message(result_with(findings), "r", "f")

    assert len(results.serialise(message).encode()) <= termination.LIMIT
    kept = message["findings"]
    assert 10 <= len(kept) < 60
    assert message["omitted"] == 60 - len(kept)
    assert message["summary"] == {"major": 60, "medium": 0, "minor": 0}
    assert all(f["setting"] == "validation.sliceBias.threshold" for f in kept)
    assert kept[0]["slice"] == "0.5 < feature_with_a_long_name_0 <= 0.75"


def test_a_failed_scan_reports_its_reason() -> None:
    message = results.failure_message(InvalidModel("no 'probabilities' output"))

    assert message == {
        "ok": False,
        "reason": "InvalidModel",
        "message": "no 'probabilities' output",
    }
    assert json.loads(results.serialise(message)) == message

"""What a ModelVersion's status says after its scan: every blocking finding, each with the
setting that would let it through, and a message cut at a word, never inside a setting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelops.api.modelversion import ModelVersionSpec, ModelVersionStatus
from modelops.decide import modelversion
from modelops.decide.jobstatus import JobState

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPEC = ModelVersionSpec.model_validate(
    {
        "model": "cancer",
        "version": 3,
        "task": "classification",
        "artifactUri": "s3://models/cancer/r3",
        "digest": "sha256:" + "0" * 64,
    }
)
DONE = JobState("Succeeded", "", "", 1, NOW, NOW)


def finding(index: int, blocking: bool = True) -> dict[str, Any]:
    return {
        "detector": "slice_bias",
        "severity": "major" if blocking else "medium",
        "slice": f"f{index} > 3",
        "metric": "accuracy",
        "value": 0.6,
        "threshold": 0.1,
        "setting": "validation.sliceBias.threshold",
        "passesAt": f"0.{30 + index}",
        "message": "accuracy 0.6 on this slice against 0.95 overall: the model is worse " * 4,
        "blocking": blocking,
    }


def scanned(findings: list[dict[str, Any]]) -> ModelVersionStatus:
    summary = {"ok": True, "passed": False, "summary": {"major": 1}, "findings": findings}
    return modelversion.scan_status(SPEC, ModelVersionStatus(), "scan", DONE, summary, NOW, 1)


def test_the_rejected_message_names_every_blocking_finding_and_its_setting() -> None:
    status = scanned([finding(i) for i in range(5)] + [finding(9, blocking=False)])

    assert status.phase == "Rejected"
    assert len(status.scan.findings) == 5, "the blocking findings, all of them"
    assert status.message is not None
    assert status.message.startswith("5 blocking findings: ")
    for index in range(5):
        assert f"(passes with validation.sliceBias.threshold: 0.{30 + index})" in status.message
    assert "0.39" not in status.message, "a finding that does not block is not in the message"
    assert len(status.message) <= modelversion.MAX_MESSAGE


def test_a_message_too_long_for_every_finding_says_how_many_more_there_are() -> None:
    status = scanned([finding(i) for i in range(40)])

    assert status.message is not None
    assert len(status.message) <= modelversion.MAX_MESSAGE
    assert status.message.endswith("more in the scan report")
    shown = status.message.count("(passes with validation.sliceBias.threshold: ")
    assert 0 < shown < 40
    assert status.message.count("validation.sliceBias.threshold") == shown, "no setting cut"
    assert " ..." in status.message, "messages are cut at a word"


def test_a_summary_from_an_older_scanner_still_rejects_with_its_findings() -> None:
    summary = {
        "ok": True,
        "passed": False,
        "blocking": [
            {"detector": "metrics", "severity": "major", "message": "accuracy below the floor"}
        ],
    }

    status = modelversion.scan_status(SPEC, ModelVersionStatus(), "scan", DONE, summary, NOW, 1)

    assert status.phase == "Rejected"
    assert status.message == "1 blocking finding: metrics: accuracy below the floor"

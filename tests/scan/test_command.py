"""``modelops scan`` as the scan Job runs it: files written, termination message, exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from modelops.cli import main
from modelops.runtime import artifacts
from tests.scan.conftest import Artifacts


@pytest.fixture
def termination(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "termination-log"
    monkeypatch.setenv("MODELOPS_TERMINATION_MESSAGE_PATH", str(path))
    return path


def test_a_completed_scan_writes_findings_and_report_to_the_report_uri_not_the_artifacts(
    tmp_path: Path, good_model: Artifacts, termination: Path
) -> None:
    output = tmp_path / "out"
    code = main(
        [
            "scan",
            f"--artifact-uri={good_model.uri}",
            f"--digest={good_model.digest}",
            "--task=classification",
            '--policy={"minMetrics": {"accuracy": 0.99}, "sliceBias": {"threshold": 0.05}}',
            f"--report-uri={output.as_uri()}",
            "--model-version=cancer-v3",
        ]
    )

    assert code == 2, "a rejecting scan fails its Job for good: only a passing scan completes"
    summary = json.loads(termination.read_text())
    assert len(termination.read_bytes()) <= 4096
    assert summary["ok"] is True
    assert summary["passed"] is False
    [floor] = [f for f in summary["findings"] if f["blocking"]]
    assert floor["metric"] == "accuracy"
    assert floor["setting"] == "validation.minMetrics.accuracy"
    assert float(floor["passesAt"]) <= floor["value"] < 0.99
    assert summary["beatsChampion"] is None
    assert summary["findingsUri"] == artifacts.join(output.as_uri(), artifacts.FINDINGS)
    findings = json.loads((output / artifacts.FINDINGS).read_text())
    assert findings["summary"] == summary["summary"]
    assert findings["metrics"]["accuracy"] == pytest.approx(summary["metrics"]["accuracy"])
    assert len(findings["findings"]) == sum(summary["summary"].values())
    html = (output / artifacts.REPORT).read_text()
    assert "REJECTED" in html
    assert "below the floor 0.99" in html
    assert "worst_radius" in html, "the slice table lists slices by feature"
    assert "<svg" in html and "</svg>" in html
    assert "<script" not in html
    assert "cancer-v3" in html, "the report names the version"
    assert not (good_model.path / artifacts.FINDINGS).exists(), "the artifacts stay as they were"
    assert not (good_model.path / artifacts.REPORT).exists()


def test_a_tampered_model_fails_with_digest_mismatch_and_exit_code_2(
    tmp_path: Path, good_model: Artifacts, termination: Path
) -> None:
    copy = tmp_path / "tampered"
    shutil.copytree(good_model.path, copy)
    with open(copy / artifacts.MODEL, "ab") as handle:
        handle.write(b"\0")

    code = main(
        [
            "scan",
            f"--artifact-uri={copy.as_uri()}",
            f"--digest={good_model.digest}",
            "--task=classification",
        ]
    )

    assert code == 2
    message = json.loads(termination.read_text())
    assert message["ok"] is False
    assert message["reason"] == "DigestMismatch"
    assert not (copy / artifacts.FINDINGS).exists()


def test_a_missing_holdout_is_a_retryable_failure(
    tmp_path: Path, good_model: Artifacts, termination: Path
) -> None:
    code = main(
        [
            "scan",
            f"--artifact-uri={good_model.uri}",
            f"--digest={good_model.digest}",
            "--task=classification",
            f"--holdout-uri={(tmp_path / 'nowhere.csv').as_uri()}",
        ]
    )

    assert code == 1
    assert json.loads(termination.read_text())["reason"] == "HoldoutNotFound"


def test_a_csv_holdout_missing_the_target_is_invalid(
    tmp_path: Path, good_model: Artifacts, termination: Path
) -> None:
    holdout = tmp_path / "holdout.csv"
    holdout.write_text("a,b\n1,2\n")

    code = main(
        [
            "scan",
            f"--artifact-uri={good_model.uri}",
            f"--digest={good_model.digest}",
            "--task=classification",
            f"--holdout-uri={holdout.as_uri()}",
        ]
    )

    assert code == 2
    message = json.loads(termination.read_text())
    assert message["reason"] == "InvalidHoldout"
    assert "target" in message["message"]

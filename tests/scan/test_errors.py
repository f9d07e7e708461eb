"""A scan that fails says what failed and where, never what it read (issue 14, finding 6).

The holdout URI and the policy are the user's to choose, and what the scan says
reaches the ModelVersion's status, its Events and the pod's log: pointed at a file
of secrets, a failing scan must not echo a line of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelops.cli import main
from tests.scan.conftest import Artifacts

SECRET = "hunter2-SECRET-TOKEN"


@pytest.fixture
def termination(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "termination-log"
    monkeypatch.setenv("MODELOPS_TERMINATION_MESSAGE_PATH", str(path))
    return path


def scan(model: Artifacts, *extra: str) -> int:
    return main(
        [
            "scan",
            f"--artifact-uri={model.uri}",
            f"--digest={model.digest}",
            "--task=classification",
            *extra,
        ]
    )


def said(termination: Path, capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return termination.read_text() + captured.out + captured.err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("passwd.csv", f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/:/sbin/nologin\n"),
        ("passwd.parquet", f"root:x:0:0:{SECRET}:/root:/bin/bash\n"),
        ("quoted.csv", f'a,b\n"{SECRET},1\n'),
    ],
)
def test_a_holdout_that_is_not_data_fails_without_quoting_it(
    tmp_path: Path,
    good_model: Artifacts,
    termination: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: str,
) -> None:
    holdout = tmp_path / name
    holdout.write_text(content)

    code = scan(good_model, f"--holdout-uri={holdout.as_uri()}")

    assert code == 2
    message = json.loads(termination.read_text())
    assert message["reason"] == "InvalidHoldout"
    assert name in message["message"], "the message names the file"
    assert SECRET not in said(termination, capsys)
    assert SECRET not in caplog.text


def test_a_numeric_feature_holding_text_fails_naming_the_kind_not_the_text(
    tmp_path: Path, good_model: Artifacts, termination: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = json.loads((good_model.path / "manifest.json").read_text())["features"]
    header = ",".join([*(f["name"] for f in names), "target"])
    row = ",".join([SECRET, *["1.0"] * (len(names) - 1), "1"])
    holdout = tmp_path / "holdout.csv"
    holdout.write_text(f"{header}\n{row}\n")

    code = scan(good_model, f"--holdout-uri={holdout.as_uri()}")

    assert code == 2
    assert "non-numbers" in json.loads(termination.read_text())["message"]
    assert SECRET not in said(termination, capsys)


def test_a_policy_file_that_is_not_json_fails_with_its_position_only(
    tmp_path: Path, good_model: Artifacts, termination: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(f'{{"minMetrics": {{"accuracy": 0.9}},\n "x": {SECRET}}}')

    code = scan(good_model, f"--policy=@{policy}")

    message = json.loads(termination.read_text())
    assert code == 1
    assert message["message"] == "invalid --policy (JSONDecodeError at line 2, column 7)"
    assert SECRET not in said(termination, capsys)


def test_a_policy_with_a_wrong_value_names_the_field_not_the_value(
    good_model: Artifacts, termination: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = scan(
        good_model, json.dumps({"sliceBias": {"threshold": SECRET}}).join(["--policy=", ""])
    )

    message = json.loads(termination.read_text())["message"]
    assert code == 1
    assert "sliceBias.threshold" in message
    assert SECRET not in said(termination, capsys)

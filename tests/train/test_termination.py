"""The termination message: compact, camelCase, within the 4 KiB Kubernetes keeps."""

from __future__ import annotations

import json
from pathlib import Path

from modelops.runtime.train import termination


def test_a_summary_with_huge_params_keeps_within_the_limit_and_says_so() -> None:
    summary = {"ok": True, "keyMetric": "accuracy=0.9", "params": {"class_weight": "x" * 9000}}

    data = termination.encode(summary)

    assert len(data) <= termination.LIMIT
    decoded = json.loads(data)
    assert decoded["params"] == {}
    assert decoded["paramsTruncated"] is True
    assert decoded["keyMetric"] == "accuracy=0.9"


def test_a_long_failure_message_is_cut_to_fit() -> None:
    data = termination.encode(termination.failure("InvalidSpec", 'é"' * 5000))

    assert len(data) <= termination.LIMIT
    decoded = json.loads(data)
    assert decoded["reason"] == "InvalidSpec"
    assert decoded["message"].endswith("...")


def test_an_unwritable_path_is_skipped_silently(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "log"

    termination.write({"ok": True}, {termination.PATH_VARIABLE: str(path)})

    assert not path.exists()

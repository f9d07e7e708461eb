"""A failed run says what kind of error and where, never what it read.

The dataset URI may name any file or endpoint the pod can reach; the summary becomes the
run's status and Events, readable by whoever may read the TrainingRun.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelops.runtime.train import errors, export

from .conftest import Train

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon,,,:/usr/sbin:/usr/sbin/nologin\n"


def test_a_system_file_read_as_csv_fails_without_quoting_a_line(
    train: Train, tmp_path: Path, summary_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "passwd.csv"
    path.write_text(PASSWD)

    code, summary = train(dataset={"uri": path.as_uri()})

    assert (code, summary["reason"]) == (2, "InvalidDataset")
    assert "a row has 4 fields, the header 1" in summary["message"]
    logs = capsys.readouterr()
    for seen in (summary_path.read_text(), logs.err):
        assert "/bin/bash" not in seen
        assert "daemon" not in seen


def test_a_missing_target_does_not_list_the_header_it_read(train: Train, tmp_path: Path) -> None:
    path = tmp_path / "token.csv"
    path.write_text("eyJhbGciOiJSUzI1NiJ9-token,other\n1,2\n3,4\n")

    code, summary = train(dataset={"uri": path.as_uri(), "target": "label"})

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert 'target column "label" not found among the dataset\'s 2 columns' in summary["message"]
    assert "eyJ" not in summary["message"]


def test_an_unforeseen_error_gives_its_kind_and_place_not_its_text(
    train: Train,
    summary_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    read = {"row": "AKIA" + "-SECRET-VALUE"}  # the traceback shows this line, not the value

    def fails_quoting_data(*args: object) -> None:
        raise RuntimeError(f"row 7 holds {read['row']}")

    monkeypatch.setattr(export, "check_parity", fails_quoting_data)

    code, summary = train(dataset={"uri": "builtin://iris"})

    assert (code, summary["reason"]) == (1, "TrainingFailed")
    assert summary["message"].startswith("RuntimeError at test_no_content_reflected.py:")
    logs = capsys.readouterr()
    assert "AKIA-SECRET-VALUE" not in summary_path.read_text() + logs.err
    assert "fails_quoting_data" in logs.err, "the log has the traceback's frames"


@pytest.mark.parametrize(
    ("error", "described"),
    [
        (
            ValueError("could not convert string to float: 'root:x:0:0'"),
            "ValueError: could not convert string to float: '...'",
        ),
        (KeyError("hunter2"), "KeyError: '...'"),
        (
            ValueError('labels ["a", "b"] unseen\nsecond line'),
            "ValueError: labels ['...', '...'] unseen",
        ),
        (TypeError(), "TypeError"),
    ],
)
def test_a_library_message_keeps_its_shape_but_not_the_values_it_quotes(
    error: Exception, described: str
) -> None:
    assert errors.describe(error) == described

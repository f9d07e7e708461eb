"""Run the trainer as its pod would: through the command's arguments, reading the summary back."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelops.runtime.train import command, termination

Train = Callable[..., tuple[int, dict[str, Any]]]
Command = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def summary_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "termination-log"
    monkeypatch.setenv(termination.PATH_VARIABLE, str(path))
    return path


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return tmp_path / "artifacts" / "model" / "run-1"


@pytest.fixture
def train(summary_path: Path, output: Path) -> Train:
    """``train(dataset=..., estimator=...)`` -> (exit code, termination summary)."""

    def run(**spec: Any) -> tuple[int, dict[str, Any]]:
        spec.setdefault("model", "model")
        spec.setdefault(
            "estimator", {"name": "RandomForestClassifier", "params": {"n_estimators": 5}}
        )
        parser = argparse.ArgumentParser()
        command.add_arguments(parser)
        args = parser.parse_args(
            ["--spec", json.dumps(spec), "--output", output.as_uri(), "--run", "run-1"]
        )
        code = command.main(args)
        return code, json.loads(summary_path.read_text())

    return run


@pytest.fixture
def command_line(summary_path: Path, output: Path) -> Command:
    """``command_line("--spec-env", "NAME")`` -> (exit code, termination summary)."""

    def run(*argv: str) -> tuple[int, dict[str, Any]]:
        parser = argparse.ArgumentParser()
        command.add_arguments(parser)
        args = parser.parse_args([*argv, "--output", output.as_uri(), "--run", "run-1"])
        code = command.main(args)
        return code, json.loads(summary_path.read_text())

    return run

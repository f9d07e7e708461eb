"""The spec read from an environment variable: what the user wrote reaches the trainer as written.

Kubernetes expands ``$(NAME)`` in a container's args and env values from the container's
environment, which holds the storage Secret. The operator passes the spec in an env var
with every ``$`` escaped as ``$$``; the local kubelet's ``expand`` is Kubernetes' rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from pyarrow import csv

from modelops.local.kubelet import containers

from .conftest import Command

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
SECRET_ENV = {"AWS_SECRET_ACCESS_KEY": SECRET}


@pytest.fixture
def data(tmp_path: Path) -> str:
    path = tmp_path / "data.csv"
    rng = np.random.default_rng(0)
    csv.write_csv(pa.table({"x": rng.normal(size=60), "y": rng.integers(0, 2, 60)}), path)
    return path.as_uri()


def spec_json(data: str, target: str) -> str:
    spec = {
        "model": "m",
        "dataset": {"uri": data, "target": target},
        "estimator": {"name": "LogisticRegression"},
    }
    return json.dumps(spec)


def test_a_secret_reference_as_target_fails_as_a_missing_column_named_literally(
    command_line: Command,
    data: str,
    summary_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = spec_json(data, "$(AWS_SECRET_ACCESS_KEY)")
    assert SECRET in containers.expand(written, SECRET_ENV), "unescaped, the secret would leak"
    pod_value = containers.expand(written.replace("$", "$$"), SECRET_ENV)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("MODELOPS_TRAINING_SPEC", pod_value)

    code, summary = command_line("--spec-env", "MODELOPS_TRAINING_SPEC")

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert 'target column "$(AWS_SECRET_ACCESS_KEY)" not found' in summary["message"]
    logs = capsys.readouterr()
    assert SECRET not in summary_path.read_text() + logs.out + logs.err


def test_a_spec_from_the_environment_trains_like_one_from_the_argument(
    command_line: Command, data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELOPS_TRAINING_SPEC", spec_json(data, "y"))

    code, summary = command_line("--spec-env", "MODELOPS_TRAINING_SPEC")

    assert (code, summary["ok"]) == (0, True)


def test_an_unset_spec_variable_is_a_permanent_invalid_spec_naming_it(
    command_line: Command, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELOPS_TRAINING_SPEC", raising=False)

    code, summary = command_line("--spec-env", "MODELOPS_TRAINING_SPEC")

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert "MODELOPS_TRAINING_SPEC" in summary["message"]

"""Runs that cannot work end with a reason, an exit code and a message saying what to fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pyarrow import csv
from sklearn.base import BaseEstimator, clone

from modelops.api.trainingrun import Task
from modelops.runtime.train import export
from modelops.runtime.train.columns import Schema

from .conftest import Train


@pytest.fixture
def shop(tmp_path: Path) -> str:
    """A CSV with a numeric, a string and a label column."""
    rng = np.random.default_rng(0)
    path = tmp_path / "shop.csv"
    csv.write_csv(
        pa.table(
            {
                "price": rng.normal(size=100),
                "color": rng.choice(["red", "blue"], 100),
                "bought": rng.integers(0, 2, 100),
            }
        ),
        path,
    )
    return path.as_uri()


def test_a_missing_dataset_is_retryable_and_names_the_uri(
    train: Train, output: Path, tmp_path: Path
) -> None:
    uri = (tmp_path / "not-there-yet.csv").as_uri()

    code, summary = train(dataset={"uri": uri})

    assert (code, summary["ok"], summary["reason"]) == (1, False, "DatasetNotFound")
    assert uri in summary["message"]
    assert not output.exists()


def test_an_empty_directory_is_a_dataset_not_found_yet(train: Train, tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()

    code, summary = train(dataset={"uri": (tmp_path / "landing").as_uri()})

    assert (code, summary["reason"]) == (1, "DatasetNotFound")


@pytest.mark.parametrize(
    ("spec", "wanted"),
    [
        (
            {"dataset": {"target": "label"}},
            'target column "label" not found among the dataset\'s 3 columns',
        ),
        (
            {"dataset": {"target": "bought", "features": ["price", "size"]}},
            'feature column "size" not found among the dataset\'s 3 columns',
        ),
        (
            {"dataset": {"target": "bought"}},
            'feature column "color" is not numeric (string); set preprocessing.oneHot: true',
        ),
        (
            {"dataset": {"target": "bought", "categorical": ["color"]}},
            "categorical columns (color) need preprocessing.oneHot: true",
        ),
        (
            {
                "dataset": {"target": "bought", "features": ["price"]},
                "estimator": {"name": "RandomForestClassifier", "params": {"trees": 5}},
            },
            "RandomForestClassifier has no parameter 'trees'; valid parameters are: bootstrap,",
        ),
        (
            {
                "dataset": {"target": "bought", "features": ["price"]},
                "estimator": {"name": "RandomForestClassifier", "params": {"n_estimators": 0}},
            },
            "The 'n_estimators' parameter of RandomForestClassifier must be an int",
        ),
        (
            {
                "dataset": {"target": "price", "features": ["bought"]},
                "estimator": {"name": "RandomForestClassifier"},
            },
            'target column "price" has non-integer numbers',
        ),
    ],
)
def test_a_spec_that_does_not_fit_the_data_is_permanent_and_says_what_to_fix(
    train: Train, output: Path, shop: str, spec: dict[str, Any], wanted: str
) -> None:
    spec["dataset"]["uri"] = shop

    code, summary = train(**spec)

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert wanted in summary["message"]
    assert not (output / "model.onnx").exists()


def test_a_classification_target_with_one_class_is_an_invalid_spec(
    train: Train, tmp_path: Path
) -> None:
    path = tmp_path / "one.csv"
    csv.write_csv(pa.table({"x": np.arange(50.0), "y": np.ones(50, dtype=np.int64)}), path)

    code, summary = train(dataset={"uri": path.as_uri(), "target": "y"})

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert "single class" in summary["message"]


def test_an_unreadable_file_is_an_invalid_dataset(train: Train, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")

    code, summary = train(dataset={"uri": path.as_uri()})

    assert (code, summary["reason"]) == (2, "InvalidDataset")
    assert "broken.parquet" in summary["message"]


def test_a_malformed_spec_is_an_invalid_spec(train: Train) -> None:
    code, summary = train(dataset={"uri": "ftp://example/data.csv"})

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert "dataset.uri" in summary["message"]


def test_an_export_that_predicts_differently_fails_the_run_and_writes_nothing(
    train: Train, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = export.convert

    def convert_another_model(fitted: BaseEstimator, schema: Schema, task: Task) -> bytes:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, len(schema.numeric)))
        impostor = clone(fitted).fit(x, rng.integers(0, 2, 200))
        return genuine(impostor, schema, task)

    monkeypatch.setattr(export, "convert", convert_another_model)

    code, summary = train(dataset={"uri": "builtin://breast_cancer"})

    assert (code, summary["reason"]) == (2, "ExportMismatch")
    assert "holdout rows" in summary["message"]
    assert not output.exists()


def test_a_regression_export_outside_the_tolerance_fails(
    train: Train, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "REGRESSION_RTOL", 0.0)
    monkeypatch.setattr(export, "REGRESSION_ATOL", 0.0)

    code, summary = train(
        dataset={"uri": "builtin://diabetes"}, estimator={"name": "LinearRegression"}
    )

    assert (code, summary["reason"]) == (2, "ExportMismatch")
    assert "rtol=0.0, atol=0.0" in summary["message"]


def test_the_command_line_exits_with_the_reason_code(tmp_path: Path) -> None:
    spec = {
        "model": "m",
        "dataset": {"uri": (tmp_path / "later.parquet").as_uri()},
        "estimator": {"name": "Ridge"},
    }
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    summary = tmp_path / "summary.json"

    result = subprocess.run(
        [sys.executable, "-m", "modelops", "train", "--spec", f"@{spec_file}"]
        + ["--output", str(tmp_path / "out"), "--run", "r"],
        capture_output=True,
        text=True,
        env={"MODELOPS_TERMINATION_MESSAGE_PATH": str(summary), "PATH": ""},
    )

    assert result.returncode == 1, result.stderr
    assert json.loads(summary.read_text())["reason"] == "DatasetNotFound"
    assert "DatasetNotFound" in result.stderr


def test_a_run_refuses_to_write_where_a_model_was_already_written(
    train: Train, output: Path, tmp_path: Path
) -> None:
    assert train(dataset={"uri": "builtin://iris"})[0] == 0
    first = {p.name: p.read_bytes() for p in output.iterdir()}

    code, summary = train(dataset={"uri": (tmp_path / "not-read.csv").as_uri()})

    assert (code, summary["reason"]) == (2, "ArtifactsExist")
    assert output.as_uri() in summary["message"]
    assert "create a TrainingRun with another name" in summary["message"]
    assert {p.name: p.read_bytes() for p in output.iterdir()} == first


def test_a_manifest_that_appears_during_the_run_is_not_overwritten(
    train: Train, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = export.check_parity

    def another_run_finishes_meanwhile(*args: Any) -> dict[str, Any]:
        output.mkdir(parents=True)
        (output / "manifest.json").write_text("{}")
        return genuine(*args)

    monkeypatch.setattr(export, "check_parity", another_run_finishes_meanwhile)

    code, summary = train(dataset={"uri": "builtin://iris"})

    assert (code, summary["reason"]) == (2, "ArtifactsExist")
    assert sorted(p.name for p in output.iterdir()) == ["manifest.json"]

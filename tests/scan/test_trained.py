"""The scan on what the trainer really writes: manifest, hashes, categorical inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelops.api.trainingrun import Task
from modelops.cli import main
from modelops.runtime import artifacts
from modelops.runtime.scan import scanner


@pytest.fixture(autouse=True)
def termination(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "termination-log"
    monkeypatch.setenv("MODELOPS_TERMINATION_MESSAGE_PATH", str(path))
    return path


def train(output: Path, termination: Path, **spec: Any) -> dict[str, Any]:
    spec.setdefault("model", "model")
    code = main(["train", "--spec", json.dumps(spec), f"--output={output.as_uri()}", "--run=r1"])
    summary: dict[str, Any] = json.loads(termination.read_text())
    assert code == 0, summary
    return summary


def test_a_trained_forest_passes_and_its_training_rows_are_checked(
    tmp_path: Path, termination: Path
) -> None:
    output = tmp_path / "run"
    trained = train(
        output,
        termination,
        dataset={"uri": "builtin://breast_cancer"},
        estimator={"name": "RandomForestClassifier", "params": {"n_estimators": 30}},
    )

    result = scanner.run(
        scanner.ScanRequest(output.as_uri(), trained["digest"], Task.CLASSIFICATION)
    )

    assert result.passed, [f.message for f in result.blocking]
    assert result.metrics["accuracy"] == pytest.approx(trained["metrics"]["accuracy"], abs=1e-9)
    # One definition of each metric: the scan (onnxruntime's float32 probabilities) and the
    # trainer (scikit-learn's float64 ones) agree to float32 precision.
    for name in ("roc_auc", "log_loss", "f1"):
        assert result.metrics[name] == pytest.approx(trained["metrics"][name], abs=1e-5), name
    assert not result.notes, "the trainer's row hashes are found and used"
    assert not [f for f in result.findings if f.metric == "shared_rows"]


def test_a_holdout_padded_with_training_rows_is_caught_with_the_trainers_hashes(
    tmp_path: Path, termination: Path
) -> None:
    output = tmp_path / "run"
    trained = train(
        output,
        termination,
        dataset={"uri": "builtin://wine"},
        estimator={"name": "RandomForestClassifier", "params": {"n_estimators": 10}},
    )
    wine = pq.read_table(output / artifacts.HOLDOUT)
    from sklearn.datasets import load_wine

    full = load_wine()
    names = wine.column_names[:-1]
    everything = pa.table(
        {**{n: full.data[:, i] for i, n in enumerate(names)}, "target": full.target}
    )
    padded = tmp_path / "padded.parquet"
    pq.write_table(everything, padded)

    result = scanner.run(
        scanner.ScanRequest(
            output.as_uri(), trained["digest"], Task.CLASSIFICATION, holdout_uri=padded.as_uri()
        )
    )

    [shared] = [f for f in result.findings if f.metric == "shared_rows"]
    trained_rows = len(full.target) - wine.num_rows
    assert shared.value == pytest.approx(trained_rows / len(full.target))
    assert not result.passed


def test_categorical_inputs_are_fed_as_strings_and_sliced_by_value(
    tmp_path: Path, termination: Path
) -> None:
    rng = np.random.default_rng(1)
    rows = 600
    color = rng.choice(["red", "green", "blue"], rows)
    size = rng.normal(size=rows)
    label = np.where((color == "red") | (size > 1.0), "yes", "no")
    data = tmp_path / "shop.parquet"
    pq.write_table(pa.table({"size": size, "color": color, "label": label}), data)
    output = tmp_path / "run"
    trained = train(
        output,
        termination,
        dataset={"uri": data.as_uri(), "target": "label"},
        estimator={"name": "LogisticRegression"},
        preprocessing={"oneHot": True},
    )

    result = scanner.run(
        scanner.ScanRequest(output.as_uri(), trained["digest"], Task.CLASSIFICATION, target="label")
    )

    assert result.metrics["accuracy"] == pytest.approx(trained["metrics"]["accuracy"], abs=1e-9)
    sliced = {score.slice for score in result.slices}
    assert {"color == 'red'", "color == 'blue'", "color == 'green'"} <= sliced
    assert "color" in result.feature_scores

"""A training run end to end: artifacts, digests, summary and progress a user relies on."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pyarrow as pa
import pytest
from pyarrow import parquet

from modelops.drift import profile
from modelops.runtime.train import hashing, trainer

from .conftest import Train

ARTIFACTS = (
    "model.onnx",
    "reference.json",
    "holdout.parquet",
    "train_row_hashes.npy",
    "metrics.json",
    "manifest.json",
)
STEPS = ("load", "split", "fit", "export", "parity", "profile", "write")


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_builtin_run_writes_every_artifact_and_a_summary_the_operator_can_use(
    train: Train, output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = train(dataset={"uri": "builtin://breast_cancer", "seed": 3})

    assert code == 0
    assert sorted(p.name for p in output.iterdir()) == sorted(ARTIFACTS)
    assert summary["ok"] is True
    assert summary["task"] == "classification"
    assert summary["digest"] == sha256(output / "model.onnx")
    assert summary["keyMetric"] == f"accuracy={summary['metrics']['accuracy']:.4f}"
    assert summary["metrics"]["accuracy"] > 0.85
    assert set(summary["metrics"]) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert summary["rows"] == 569
    assert summary["features"] == 30
    assert summary["params"] == {"n_estimators": 5, "random_state": 3}
    assert summary["artifactUri"] == output.as_uri()
    assert summary["datasetDigest"].startswith("sha256:")

    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["step"] for s in steps] == list(STEPS)
    assert all(s["seconds"] >= 0 for s in steps)


def test_the_manifest_holds_the_digest_of_every_other_artifact_and_the_lineage(
    train: Train, output: Path
) -> None:
    code, summary = train(dataset={"uri": "builtin://iris"})
    assert code == 0

    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["artifacts"] == {
        name: sha256(output / name) for name in ARTIFACTS if name != "manifest.json"
    }
    assert manifest["digest"] == summary["digest"]
    assert manifest["dataset"]["uri"] == "builtin://iris"
    assert manifest["dataset"]["digest"] == summary["datasetDigest"]
    assert manifest["dataset"]["rows"] == 150
    assert manifest["estimator"] == "RandomForestClassifier"
    assert manifest["classes"] == [0, 1, 2]
    assert manifest["target"] == "target"
    assert manifest["features"][0] == {"name": "sepal_length_cm", "type": "numeric"}
    assert set(manifest["versions"]) >= {"modelops", "scikit-learn", "skl2onnx", "onnxruntime"}
    assert set(manifest["timings"]) == set(STEPS)


def test_holdout_hashes_and_reference_describe_the_split(train: Train, output: Path) -> None:
    code, _ = train(dataset={"uri": "builtin://wine", "holdoutFraction": 0.25})
    assert code == 0

    holdout = parquet.read_table(output / "holdout.parquet")
    manifest = json.loads((output / "manifest.json").read_text())
    names = [f["name"] for f in manifest["features"]]
    assert holdout.column_names == [*names, "target"]
    assert holdout.num_rows == manifest["dataset"]["holdoutRows"] == 45

    hashes = np.load(io.BytesIO((output / "train_row_hashes.npy").read_bytes()), allow_pickle=False)
    assert hashes.dtype == np.uint64
    assert len(hashes) == manifest["dataset"]["trainRows"] == 178 - 45
    holdout_hashes = hashing.row_hashes(holdout.select(names))
    assert not set(holdout_hashes.tolist()) & set(hashes.tolist())

    reference = profile.Reference.from_dict(json.loads((output / "reference.json").read_text()))
    assert reference.rows == 178 - 45
    assert reference.numeric_features == tuple(names)


def test_one_hot_categories_round_trip_through_onnxruntime_with_the_input_contract(
    train: Train, output: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    rows = 300
    color = rng.choice(["red", "green", "blue"], rows)
    size = rng.normal(size=rows)
    label = np.where((color == "red") | (size > 1.0), "yes", "no")
    path = tmp_path / "shop.parquet"
    parquet.write_table(
        pa.table({"size": size, "color": color, "weight": size * 2 + 1, "label": label}), path
    )

    code, summary = train(
        dataset={"uri": path.as_uri(), "target": "label"},
        estimator={"name": "LogisticRegression"},
        preprocessing={"oneHot": True, "scaling": "standard"},
    )

    assert code == 0, summary
    session = onnxruntime.InferenceSession(
        str(output / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert inputs == {"input": ("tensor(float)", [None, 2]), "color": ("tensor(string)", [None, 1])}
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]

    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["features"] == [
        {"name": "size", "type": "numeric"},
        {"name": "weight", "type": "numeric"},
        {"name": "color", "type": "categorical"},
    ]
    holdout = parquet.read_table(output / "holdout.parquet")
    numeric = np.column_stack([holdout.column(n).to_numpy() for n in ("size", "weight")])
    labels, probabilities = session.run(
        None,
        {
            "input": numeric.astype(np.float32),
            "color": np.array(holdout.column("color").to_pylist(), dtype=object).reshape(-1, 1),
        },
    )
    accuracy = float(np.mean(labels == np.array(holdout.column("label").to_pylist())))
    assert accuracy == pytest.approx(summary["metrics"]["accuracy"])
    assert probabilities.shape == (holdout.num_rows, 2)
    # The colour decides most labels (a majority guess scores ~0.56): one-hot carried it.
    assert summary["metrics"]["accuracy"] > 0.85


def test_a_regressor_reports_r2_and_exports_a_variable_output(train: Train, output: Path) -> None:
    code, summary = train(
        dataset={"uri": "builtin://synthetic?task=regression&rows=400&features=4&seed=2"},
        estimator={"name": "GradientBoostingRegressor", "params": {"n_estimators": 20}},
        preprocessing={"scaling": "minmax"},
    )

    assert code == 0, summary
    assert summary["task"] == "regression"
    assert set(summary["metrics"]) == {"rmse", "mae", "r2"}
    assert summary["keyMetric"] == f"r2={summary['metrics']['r2']:.4f}"
    assert summary["metrics"]["r2"] > 0.5
    session = onnxruntime.InferenceSession(
        str(output / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [o.name for o in session.get_outputs()] == ["variable"]
    assert "classes" not in json.loads((output / "manifest.json").read_text())


def test_a_user_random_state_wins_over_the_dataset_seed(train: Train) -> None:
    code, summary = train(
        dataset={"uri": "builtin://iris", "seed": 5},
        estimator={"name": "DecisionTreeClassifier", "params": {"random_state": 11}},
    )

    assert code == 0
    assert summary["params"] == {"random_state": 11}


def test_the_same_spec_trains_the_same_model(train: Train, output: Path) -> None:
    dataset = {"uri": "builtin://synthetic?rows=300&features=5&seed=4"}
    first = train(dataset=dataset)[1]
    shutil.rmtree(output)  # artifact directories are written once
    second = train(dataset=dataset)[1]

    assert first["digest"] == second["digest"]
    assert first["datasetDigest"] == second["datasetDigest"]


def test_large_data_builds_the_profile_on_a_thread_with_the_same_artifacts(
    train: Train, output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = {"uri": "builtin://synthetic?rows=2000&features=6&seed=2"}
    assert train(dataset=dataset)[0] == 0
    inline = {name: (output / name).read_bytes() for name in ARTIFACTS[:4]}
    shutil.rmtree(output)  # artifact directories are written once

    # As if the data were large: the profile is built beside the fit, BLAS on one thread.
    monkeypatch.setattr(trainer, "SIDE_THREAD_ROWS", 1)
    built_on: list[str] = []
    genuine = trainer._side_artifacts

    def recorded(*args: Any) -> Any:
        built_on.append(threading.current_thread().name)
        return genuine(*args)

    monkeypatch.setattr(trainer, "_side_artifacts", recorded)
    assert train(dataset=dataset)[0] == 0
    threaded = {name: (output / name).read_bytes() for name in ARTIFACTS[:4]}

    assert built_on and built_on[0].startswith("profile")
    assert threaded == inline


def test_scaling_before_a_forest_is_skipped_so_the_export_matches(
    train: Train, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = train(
        dataset={"uri": "builtin://breast_cancer", "holdoutFraction": 0.25, "seed": 0},
        estimator={
            "name": "RandomForestClassifier",
            "params": {"n_estimators": 100, "max_depth": 8},
        },
        preprocessing={"scaling": "standard"},
    )
    assert code == 0, summary
    fit = next(
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if json.loads(line)["step"] == "fit"
    )
    assert "scaling skipped" in fit["note"]

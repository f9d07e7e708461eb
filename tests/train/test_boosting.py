"""XGBoost and LightGBM train, export and pass the parity check like scikit-learn models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pyarrow as pa
import pytest
from pyarrow import parquet

from modelops.runtime.train import limits

from .conftest import Train

CLASSIFIERS = ["XGBClassifier", "LGBMClassifier"]
REGRESSORS = ["XGBRegressor", "LGBMRegressor"]


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.CPU_LIMIT_VARIABLE, "2")


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("dataset", ["builtin://breast_cancer", "builtin://iris"])
def test_a_boosting_classifier_trains_and_its_export_matches_on_the_holdout(
    train: Train, output: Path, name: str, dataset: str
) -> None:
    code, summary = train(
        dataset={"uri": dataset}, estimator={"name": name, "params": {"n_estimators": 50}}
    )

    assert code == 0, summary
    assert summary["metrics"]["accuracy"] > 0.85
    assert summary["params"]["n_jobs"] == 2, "the library's all-cores default is capped"
    holdout = parquet.read_table(output / "holdout.parquet")
    session = onnxruntime.InferenceSession(str(output / "model.onnx"))
    x = np.column_stack(
        [holdout.column(c).to_numpy() for c in holdout.column_names if c != "target"]
    ).astype(np.float32)
    labels, probabilities = session.run(["label", "probabilities"], {"input": x})
    assert labels.shape == (holdout.num_rows,)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)


@pytest.mark.parametrize("name", REGRESSORS)
def test_a_boosting_regressor_trains_and_passes_parity(train: Train, name: str) -> None:
    code, summary = train(
        dataset={"uri": "builtin://synthetic?task=regression&rows=2000&features=8&seed=1"},
        estimator={"name": name, "params": {"n_estimators": 100}},
    )

    assert code == 0, summary
    assert summary["metrics"]["r2"] > 0.8


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_a_boosting_model_exports_behind_one_hot_encoding(
    train: Train, tmp_path: Path, name: str
) -> None:
    rng = np.random.default_rng(1)
    price = rng.normal(size=400)
    color = rng.choice(["red", "blue", "green"], 400)
    path = tmp_path / "shop.parquet"
    bought = ((price > 0) ^ (color == "red")).astype(np.int64)
    parquet.write_table(pa.table({"price": price, "color": color, "bought": bought}), path)

    code, summary = train(
        dataset={"uri": path.as_uri(), "target": "bought"},
        preprocessing={"oneHot": True},
        estimator={"name": name, "params": {"n_estimators": 30}},
    )

    assert code == 0, summary
    assert summary["metrics"]["accuracy"] > 0.9


def test_xgboost_with_string_labels_is_refused_naming_the_alternative(
    train: Train, tmp_path: Path
) -> None:
    rng = np.random.default_rng(2)
    path = tmp_path / "labels.parquet"
    parquet.write_table(
        pa.table({"x": rng.normal(size=100), "y": rng.choice(["yes", "no"], 100)}), path
    )

    code, summary = train(
        dataset={"uri": path.as_uri(), "target": "y"}, estimator={"name": "XGBClassifier"}
    )

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert "choose LGBMClassifier" in summary["message"]


@pytest.mark.parametrize(
    ("name", "params", "wanted"),
    [
        ("XGBClassifier", {"learning_rate": -1}, "learning_rate of XGBClassifier must be"),
        ("LGBMRegressor", {"num_leaves": 1}, "num_leaves of LGBMRegressor must be"),
        ("LGBMClassifier", {"subsample": 1.5}, "must be a number in (0, 1]"),
        ("XGBRegressor", {"trees": 5}, "XGBRegressor has no parameter 'trees'"),
        ("XGBRegressor", {"n_estimators": 1e9}, "above the largest allowed 10000"),
    ],
)
def test_boosting_params_are_checked_before_any_data_is_read(
    train: Train, tmp_path: Path, name: str, params: dict[str, Any], wanted: str
) -> None:
    never_read = (tmp_path / "not-there.csv").as_uri()

    code, summary = train(dataset={"uri": never_read}, estimator={"name": name, "params": params})

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert wanted in summary["message"]


@pytest.mark.parametrize(
    ("name", "library"), [("XGBClassifier", "xgboost"), ("LGBMRegressor", "lightgbm")]
)
def test_without_the_boosting_extra_the_run_fails_naming_the_extra(
    train: Train, monkeypatch: pytest.MonkeyPatch, name: str, library: str
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # `import library` now fails

    code, summary = train(dataset={"uri": "builtin://iris"}, estimator={"name": name})

    assert (code, summary["reason"]) == (2, "MissingExtra")
    assert f"needs {library}" in summary["message"]
    assert "modelops[boosting]" in summary["message"]


def test_without_onnxmltools_a_boosting_run_fails_naming_the_extra(
    train: Train, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelops.runtime.train import boosting

    boosting._register_converters.cache_clear()
    for module in [m for m in sys.modules if m.split(".")[0] == "onnxmltools"]:
        monkeypatch.setitem(sys.modules, module, None)
    try:
        code, summary = train(
            dataset={"uri": "builtin://iris"}, estimator={"name": "XGBClassifier"}
        )
    finally:
        boosting._register_converters.cache_clear()

    assert (code, summary["reason"]) == (2, "MissingExtra")
    assert "onnxmltools" in summary["message"]
    assert "modelops[boosting]" in summary["message"]

"""Models and holdouts as they arrive from outside the trainer: no manifest, CSV, regressors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from modelops.api.trainingrun import Task
from modelops.api.validation import ValidationPolicy
from modelops.runtime import artifacts
from modelops.runtime.scan import scanner
from tests.scan.conftest import Split, export


def test_an_imported_classifier_without_manifest_is_scanned_from_a_csv_holdout(
    tmp_path: Path, cancer: Split
) -> None:
    labels = np.where(cancer.y_train == 1, "benign", "malignant")
    model = LogisticRegression(max_iter=5000).fit(cancer.x_train, labels)
    exported = export(tmp_path, model, cancer.x_test, cancer.y_test, cancer.names, manifest=False)
    csv = tmp_path / "holdout.csv"
    header = ",".join([*cancer.names, "diagnosis"])
    rows = [
        ",".join([*map(repr, map(float, row)), "benign" if y == 1 else "malignant"])
        for row, y in zip(cancer.x_test, cancer.y_test, strict=True)
    ]
    csv.write_text("\n".join([header, *rows]) + "\n")

    result = scanner.run(
        scanner.ScanRequest(
            artifact_uri=exported.uri,
            digest=exported.digest,
            task=Task.CLASSIFICATION,
            holdout_uri=csv.as_uri(),
            target="diagnosis",
        )
    )

    assert result.rows == len(cancer.y_test)
    assert result.metrics["accuracy"] is not None and result.metrics["accuracy"] > 0.9
    assert result.metrics["roc_auc"] is not None and result.metrics["roc_auc"] > 0.95


def test_a_regressor_is_judged_on_r2_and_its_floors(tmp_path: Path) -> None:
    x, y = make_regression(n_samples=900, n_features=6, noise=10.0, random_state=0)
    x = x.astype(np.float32)
    forest = RandomForestRegressor(n_estimators=20, random_state=0, n_jobs=1).fit(x[:600], y[:600])
    exported = export(tmp_path, forest, x[600:], y[600:], [f"f{i}" for i in range(6)])

    result = scanner.run(
        scanner.ScanRequest(
            artifact_uri=exported.uri,
            digest=exported.digest,
            task=Task.REGRESSION,
            policy=ValidationPolicy.model_validate({"maxMetrics": {"rmse": 1.0}}),
        )
    )

    r2 = result.metrics["r2"]
    assert r2 is not None and 0.5 < r2 < 1.0
    [ceiling] = [f for f in result.findings if f.detector == "metrics"]
    assert ceiling.metric == "rmse" and "above the ceiling 1" in ceiling.message
    assert result.calibration is None
    assert not (tmp_path / artifacts.FINDINGS).exists(), "running a scan writes nothing by itself"

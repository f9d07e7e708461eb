"""Real models for the scan's tests, exported to ONNX the way the trainer does.

scikit-learn estimators converted by skl2onnx (FP32 ``input``, zipmap disabled,
``label`` + ``probabilities`` or ``variable``), their holdout written as Parquet with
pyarrow, a manifest, and the sha256 digest of model.onnx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from modelops.runtime import artifacts


@dataclass(frozen=True)
class Artifacts:
    """A model's artifact directory, as a ModelVersion points at it."""

    uri: str
    digest: str
    path: Path


def export(
    directory: Path,
    estimator: Any,
    holdout: np.ndarray,
    target: np.ndarray,
    names: list[str],
    *,
    manifest: bool = True,
) -> Artifacts:
    """Write model.onnx, holdout.parquet and (optionally) manifest.json for a fitted model."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "classes_") else None
    onnx_model = convert_sklearn(
        estimator,
        initial_types=[("input", FloatTensorType([None, len(names)]))],
        options=options,
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    directory.mkdir(parents=True, exist_ok=True)
    data = onnx_model.SerializeToString()
    (directory / artifacts.MODEL).write_bytes(data)
    columns = {name: holdout[:, i] for i, name in enumerate(names)}
    pq.write_table(pa.table({**columns, "target": target}), directory / artifacts.HOLDOUT)
    if manifest:
        document: dict[str, Any] = {"features": [{"name": n, "type": "numeric"} for n in names]}
        if hasattr(estimator, "classes_"):
            document["classes"] = estimator.classes_.tolist()
        (directory / artifacts.MANIFEST).write_text(json.dumps(document))
    return Artifacts(uri=directory.as_uri(), digest=artifacts.sha256_digest(data), path=directory)


@dataclass(frozen=True)
class Split:
    """A dataset split into training and holdout parts."""

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    names: list[str]


@pytest.fixture(scope="session")
def cancer() -> Split:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data.astype(np.float32),
        data.target,
        test_size=0.3,
        random_state=0,
        stratify=data.target,
    )
    names = [name.replace(" ", "_") for name in data.feature_names]
    return Split(x_train, x_test, y_train, y_test, names)


@pytest.fixture(scope="session")
def good_model(tmp_path_factory: pytest.TempPathFactory, cancer: Split) -> Artifacts:
    """A 50-tree RandomForest on breast_cancer: a model that deserves production."""
    forest = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1)
    forest.fit(cancer.x_train, cancer.y_train)
    return export(
        tmp_path_factory.mktemp("good"), forest, cancer.x_test, cancer.y_test, cancer.names
    )

"""TrainingRun: train a scikit-learn model on a dataset and export it to ONNX.

One TrainingRun becomes one Job. On success the operator registers a
ModelVersion carrying the model's digest, lineage and metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from modelops.api.common import ApiModel, Condition, ModelName, Resources, immutable
from modelops.api.validation import ValidationPolicy

DATASET_URI = r"^(file|s3|gs|gcs|http|https|memory|builtin)://.+"


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


#: The headline metric of each task: what `kubectl get` shows and the champion is judged by.
KEY_METRIC = {Task.CLASSIFICATION: "accuracy", Task.REGRESSION: "r2"}


def key_metric(task: str, metrics: Mapping[str, float]) -> str | None:
    """The headline metric as the operator shows it, e.g. ``accuracy=0.9650``; None if absent."""
    name = KEY_METRIC[Task(task)]
    if name not in metrics:
        return None
    return f"{name}={metrics[name]:.4f}"


class EstimatorName(StrEnum):
    """The estimators a TrainingRun may use; nothing outside this list is loaded.

    The XGBoost and LightGBM ones need the ``modelops[boosting]`` extra.
    """

    RANDOM_FOREST_CLASSIFIER = "RandomForestClassifier"
    RANDOM_FOREST_REGRESSOR = "RandomForestRegressor"
    EXTRA_TREES_CLASSIFIER = "ExtraTreesClassifier"
    EXTRA_TREES_REGRESSOR = "ExtraTreesRegressor"
    GRADIENT_BOOSTING_CLASSIFIER = "GradientBoostingClassifier"
    GRADIENT_BOOSTING_REGRESSOR = "GradientBoostingRegressor"
    HIST_GRADIENT_BOOSTING_CLASSIFIER = "HistGradientBoostingClassifier"
    HIST_GRADIENT_BOOSTING_REGRESSOR = "HistGradientBoostingRegressor"
    DECISION_TREE_CLASSIFIER = "DecisionTreeClassifier"
    DECISION_TREE_REGRESSOR = "DecisionTreeRegressor"
    LOGISTIC_REGRESSION = "LogisticRegression"
    LINEAR_REGRESSION = "LinearRegression"
    RIDGE = "Ridge"
    RIDGE_CLASSIFIER = "RidgeClassifier"
    XGB_CLASSIFIER = "XGBClassifier"
    XGB_REGRESSOR = "XGBRegressor"
    LGBM_CLASSIFIER = "LGBMClassifier"
    LGBM_REGRESSOR = "LGBMRegressor"


#: Largest value of each size parameter, whichever estimator has it: beyond these a run is
#: unbounded work (a billion trees), not a model anyone meant. Checked with the spec, before
#: a Job or any data read; the estimator checks everything else.
PARAM_BOUNDS: Mapping[str, int] = {
    "n_estimators": 10_000,
    "max_iter": 10_000,
    "max_depth": 100,
    "max_leaf_nodes": 1_000_000,
    "num_leaves": 131_072,
    "max_bin": 65_536,
}


def task_of(estimator: EstimatorName | str) -> Task:
    """Whether an allow-listed estimator is a classifier or a regressor."""
    name = str(estimator)
    if name.endswith("Classifier") or name == EstimatorName.LOGISTIC_REGRESSION:
        return Task.CLASSIFICATION
    return Task.REGRESSION


class DatasetFormat(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    PARQUET = "parquet"


class Dataset(ApiModel):
    """Where the training data is, and how to read it."""

    uri: str = Field(
        pattern=DATASET_URI,
        max_length=2048,
        description=(
            "Dataset URI: file://, s3://, gs://, http(s)://, memory:// (a file, a directory "
            "or a glob), or builtin://breast_cancer|iris|wine|diabetes|synthetic?..."
        ),
    )
    format: DatasetFormat = Field(
        default=DatasetFormat.AUTO,
        description="File format: auto (from the extension), csv or parquet.",
    )
    target: str = Field(
        default="target",
        min_length=1,
        max_length=253,
        description="Column holding the label to predict.",
    )
    features: list[str] = Field(
        default_factory=list,
        description="Columns used as features; empty means every column but the target.",
    )
    categorical: list[str] = Field(
        default_factory=list,
        description="Feature columns that are categorical (need preprocessing.oneHot).",
    )
    max_rows: int | None = Field(
        default=None, ge=1, description="Keep only the most recent rows (the last ones read)."
    )
    holdout_fraction: float = Field(
        default=0.2,
        ge=0.05,
        le=0.5,
        description="Fraction of rows held out (stratified for classifiers) for metrics and scan.",
    )
    seed: int = Field(default=0, ge=0, description="Seed of the holdout split and the estimator.")
    credentials_secret: str | None = Field(
        default=None,
        max_length=253,
        description="Secret whose keys become environment variables of the trainer "
        "(e.g. AWS_ACCESS_KEY_ID); credentials are never written in the spec.",
    )


class Estimator(ApiModel):
    """The scikit-learn estimator to fit."""

    name: EstimatorName = Field(description="Estimator class, from the allow-list.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
        description="Constructor parameters, checked against the estimator before training.",
    )

    @field_validator("params")
    @classmethod
    def _bounded(cls, params: dict[str, Any]) -> dict[str, Any]:
        for name, bound in PARAM_BOUNDS.items():
            value = params.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > bound:
                shown = value if isinstance(value, int) else f"{value:g}"
                raise ValueError(
                    f"{name} is {shown}, above the largest allowed {bound}: "
                    "lower it (a bigger model is unbounded work for the trainer)"
                )
        return params


class Scaling(StrEnum):
    NONE = "none"
    STANDARD = "standard"
    MINMAX = "minmax"


class Preprocessing(ApiModel):
    """Optional preprocessing, exported inside the ONNX model as part of a Pipeline."""

    scaling: Scaling = Field(
        default=Scaling.NONE, description="Scale numeric features: none, standard or minmax."
    )
    one_hot: bool = Field(
        default=False, description="One-hot encode the dataset's categorical columns."
    )


class Artifacts(ApiModel):
    """Where the run writes its model and reports."""

    uri: str | None = Field(
        default=None,
        max_length=2048,
        description="Artifact root URI; default: the operator's MODELOPS_ARTIFACT_ROOT. "
        "Artifacts land at <root>/<model>/<run name>/.",
    )
    credentials_secret: str | None = Field(
        default=None,
        max_length=253,
        description="Secret whose keys become environment variables for the artifact store.",
    )


_IMMUTABLE = immutable("is immutable; create a new TrainingRun instead")


class TrainingRunSpec(ApiModel):
    """What to train, on what data, with which resources."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.validation) == has(oldSelf.validation)",
                    "message": "validation is immutable",
                },
                {
                    "rule": "has(self.activeDeadlineSeconds) == has(oldSelf.activeDeadlineSeconds)"
                    " && (!has(self.activeDeadlineSeconds) || "
                    "self.activeDeadlineSeconds == oldSelf.activeDeadlineSeconds)",
                    "message": "activeDeadlineSeconds is immutable",
                },
            ]
        }
    )

    model: ModelName = Field(json_schema_extra=_IMMUTABLE)
    dataset: Dataset = Field(json_schema_extra=_IMMUTABLE, description="Training data.")
    estimator: Estimator = Field(json_schema_extra=_IMMUTABLE, description="Estimator to fit.")
    preprocessing: Preprocessing = Field(
        default_factory=Preprocessing,
        json_schema_extra={"default": {}, **_IMMUTABLE},
        description="Preprocessing before the estimator.",
    )
    validation: ValidationPolicy | None = Field(
        default=None,
        json_schema_extra=_IMMUTABLE,
        description="Scan policy copied into the ModelVersion this run registers.",
    )
    artifacts: Artifacts = Field(
        default_factory=Artifacts,
        json_schema_extra={"default": {}, **_IMMUTABLE},
        description="Artifact store.",
    )
    resources: Resources = Field(
        default_factory=Resources,
        json_schema_extra={"default": {}, **_IMMUTABLE},
        description="Compute resources of the trainer container.",
    )
    backoff_limit: int = Field(
        default=1,
        ge=0,
        le=20,
        json_schema_extra=_IMMUTABLE,
        description="Retries of the trainer pod before the run fails.",
    )
    active_deadline_seconds: int | None = Field(
        default=None, ge=1, description="Fail the run when it runs longer than this."
    )
    ttl_seconds_after_finished: int | None = Field(
        default=None,
        ge=0,
        description="Delete the finished Job (not the run or its model) after this long.",
    )
    suspend: bool = Field(
        default=False, description="Suspend the run: no trainer pod runs while true."
    )
    service_account_name: str | None = Field(
        default=None,
        max_length=253,
        description="Service account of the trainer pod; default: the namespace's default.",
    )


class TrainingPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SUSPENDED = "Suspended"


class TrainingRunStatus(ApiModel):
    """What the run did, as the operator observed it."""

    observed_generation: int | None = Field(
        default=None, description="The .metadata.generation the status was computed from."
    )
    phase: TrainingPhase = Field(
        default=TrainingPhase.PENDING,
        description="Pending, Running, Succeeded, Failed or Suspended.",
    )
    conditions: list[Condition] = Field(
        default_factory=list, description="Running, Succeeded, Failed, Suspended."
    )
    job_name: str | None = Field(default=None, description="Name of the trainer Job.")
    attempts: int = Field(default=0, ge=0, description="Trainer pods started so far.")
    start_time: datetime | None = Field(default=None, description="When the Job started.")
    completion_time: datetime | None = Field(default=None, description="When the run ended.")
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Holdout metrics of the trained model."
    )
    key_metric: str | None = Field(
        default=None, description="The headline metric, e.g. accuracy=0.965."
    )
    artifact_uri: str | None = Field(default=None, description="Where the artifacts are.")
    model_version: str | None = Field(
        default=None, description="Name of the ModelVersion registered from this run."
    )
    message: str | None = Field(default=None, description="Last notable event, for humans.")

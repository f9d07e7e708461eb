"""The validation policy: what the scan checks before a model may reach production.

Declared on a TrainingRun (and copied into the ModelVersion it registers) or
directly on an imported ModelVersion. Every detector has a default, so an empty
policy is a sensible one.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from modelops.api.common import ApiModel


class Severity(StrEnum):
    MAJOR = "major"
    MEDIUM = "medium"
    MINOR = "minor"


class ChampionPolicy(ApiModel):
    """Compare the candidate with the model's current Production version on the same holdout."""

    enabled: bool = Field(default=True, description="Run the champion comparison.")
    metric: str | None = Field(
        default=None,
        max_length=63,
        description="Metric compared; default: accuracy for classifiers, r2 for regressors.",
    )
    tolerance: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="How much worse than the champion the candidate may be (absolute).",
    )


class SliceBiasPolicy(ApiModel):
    """Performance by slice: quantile slices of numeric features, values of categorical ones."""

    enabled: bool = Field(default=True, description="Run the slice-bias detector.")
    threshold: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Relative gap of a slice's metric below the global one that is a finding.",
    )
    min_rows: int = Field(default=20, ge=5, description="Smallest slice considered, in rows.")


class RobustnessPolicy(ApiModel):
    """Prediction flips under small perturbations (x1.01, x0.99, Gaussian noise)."""

    enabled: bool = Field(default=True, description="Run the robustness detector.")
    threshold: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Largest tolerated fraction of predictions that flip under a perturbation.",
    )
    noise: float = Field(
        default=0.01,
        gt=0,
        le=1,
        description="Standard deviation of the Gaussian noise, relative to each feature's std.",
    )


class CalibrationPolicy(ApiModel):
    """Overconfidence and underconfidence of a classifier's probabilities."""

    enabled: bool = Field(default=True, description="Run the calibration detector.")
    threshold: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="Largest tolerated expected calibration error.",
    )


class LeakagePolicy(ApiModel):
    """Rows shared by training and holdout data; a single feature that predicts the target."""

    enabled: bool = Field(default=True, description="Run the data-leakage detector.")
    max_shared_rows: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Largest tolerated fraction of holdout rows also present in training data.",
    )
    single_feature_score: float = Field(
        default=0.99,
        gt=0.5,
        le=1,
        description="A single feature scoring at least this (ROC AUC or R2) alone is a finding.",
    )


class StochasticityPolicy(ApiModel):
    """The same rows twice must give the same outputs."""

    enabled: bool = Field(default=True, description="Run the stochasticity detector.")


class ValidationPolicy(ApiModel):
    """What the scan checks, and which findings block promotion."""

    min_metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Metric floors on the holdout, e.g. {roc_auc: 0.9}; below is a major finding.",
    )
    max_metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Metric ceilings on the holdout, e.g. {rmse: 12.5}; above is a major finding.",
    )
    champion: ChampionPolicy = Field(
        default_factory=ChampionPolicy,
        json_schema_extra={"default": {}},
        description="Champion/challenger comparison.",
    )
    slice_bias: SliceBiasPolicy = Field(
        default_factory=SliceBiasPolicy,
        json_schema_extra={"default": {}},
        description="Performance bias by slice.",
    )
    robustness: RobustnessPolicy = Field(
        default_factory=RobustnessPolicy,
        json_schema_extra={"default": {}},
        description="Robustness to small perturbations.",
    )
    calibration: CalibrationPolicy = Field(
        default_factory=CalibrationPolicy,
        json_schema_extra={"default": {}},
        description="Over- and underconfidence.",
    )
    leakage: LeakagePolicy = Field(
        default_factory=LeakagePolicy,
        json_schema_extra={"default": {}},
        description="Data leakage.",
    )
    stochasticity: StochasticityPolicy = Field(
        default_factory=StochasticityPolicy,
        json_schema_extra={"default": {}},
        description="Determinism of the outputs.",
    )
    block_on: list[Severity] = Field(
        default_factory=lambda: [Severity.MAJOR],
        json_schema_extra={"default": ["major"]},
        max_length=3,
        description="Severities of findings that reject the model.",
    )


class Finding(ApiModel):
    """One issue the scan found."""

    detector: str = Field(max_length=63, description="Detector that produced the finding.")
    severity: Severity = Field(description="major, medium or minor.")
    feature: str | None = Field(default=None, description="Feature concerned, if any.")
    slice: str | None = Field(default=None, description="Data slice concerned, if any.")
    metric: str | None = Field(default=None, description="Metric measured, if any.")
    value: float | None = Field(default=None, description="Measured value.")
    threshold: float | None = Field(default=None, description="Threshold the value crossed.")
    message: str = Field(max_length=1024, description="What was found and what to do about it.")

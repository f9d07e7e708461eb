"""The validation policy: what the scan checks before a model may reach production.

Declared on a TrainingRun (and copied into the ModelVersion it registers) or
directly on an imported ModelVersion. ``preset`` (strict, default, lenient) sets
every detector's threshold at once; a per-detector field set in the policy wins
over the preset. Unset fields stay unset on the wire (no schema default), so the
preset they come from is decided when the scan runs, and ``settings()`` is the one
place that resolves them. ``PRESETS`` is the table the README shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import Field

from modelops.api.common import ApiModel


class Severity(StrEnum):
    MAJOR = "major"
    MEDIUM = "medium"
    MINOR = "minor"


class Preset(StrEnum):
    STRICT = "strict"
    DEFAULT = "default"
    LENIENT = "lenient"


@dataclass(frozen=True)
class Settings:
    """The thresholds every detector runs with, once the preset and the policy are merged."""

    #: Largest tolerated drop of the candidate's key metric below the champion's (absolute).
    champion_tolerance: float
    #: Relative gap of a slice's metric to the global one, at the slice's optimistic bound.
    slice_threshold: float
    #: Smallest slice, in rows.
    slice_min_rows: int
    #: Family-wise confidence of the slice intervals (Bonferroni over all slices).
    slice_confidence: float
    #: Fraction of predictions that may change under the small perturbation.
    robustness_threshold: float
    #: Size of the perturbation, as a fraction of each feature's spread.
    robustness_perturbation: float
    #: Mean confidence minus accuracy tolerated, at its lower 99% bound.
    calibration_threshold: float
    #: Holdout rows shared with training tolerated beyond the training data's own duplicate rate.
    leakage_excess_shared_rows: float
    #: A single feature scoring at least this alone (ROC AUC or R2) is a leak.
    leakage_single_feature_score: float


#: Each preset's settings: strict raises more findings, lenient fewer.
PRESETS: dict[Preset, Settings] = {
    Preset.STRICT: Settings(
        champion_tolerance=0.0,
        slice_threshold=0.05,
        slice_min_rows=20,
        slice_confidence=0.9,
        robustness_threshold=0.02,
        robustness_perturbation=0.1,
        calibration_threshold=0.03,
        leakage_excess_shared_rows=0.005,
        leakage_single_feature_score=0.98,
    ),
    Preset.DEFAULT: Settings(
        champion_tolerance=0.01,
        slice_threshold=0.1,
        slice_min_rows=20,
        slice_confidence=0.95,
        robustness_threshold=0.05,
        robustness_perturbation=0.05,
        calibration_threshold=0.05,
        leakage_excess_shared_rows=0.02,
        leakage_single_feature_score=0.99,
    ),
    Preset.LENIENT: Settings(
        champion_tolerance=0.02,
        slice_threshold=0.2,
        slice_min_rows=30,
        slice_confidence=0.99,
        robustness_threshold=0.1,
        robustness_perturbation=0.02,
        calibration_threshold=0.1,
        leakage_excess_shared_rows=0.05,
        leakage_single_feature_score=0.995,
    ),
}

#: Where each setting is written in a ModelVersion or TrainingRun, for findings to name.
SETTING_FIELDS: dict[str, str] = {
    "champion_tolerance": "validation.champion.tolerance",
    "slice_threshold": "validation.sliceBias.threshold",
    "slice_min_rows": "validation.sliceBias.minRows",
    "slice_confidence": "validation.sliceBias.confidence",
    "robustness_threshold": "validation.robustness.threshold",
    "robustness_perturbation": "validation.robustness.perturbation",
    "calibration_threshold": "validation.calibration.threshold",
    "leakage_excess_shared_rows": "validation.leakage.maxExcessSharedRows",
    "leakage_single_feature_score": "validation.leakage.singleFeatureScore",
}


def _preset_text(name: str) -> str:
    values = ", ".join(
        f"{preset} {dataclasses.asdict(PRESETS[preset])[name]:g}" for preset in Preset
    )
    return f"Default: from the preset ({values})."


class ChampionPolicy(ApiModel):
    """Compare the candidate with the model's current Production version on the same holdout."""

    enabled: bool = Field(default=True, description="Run the champion comparison.")
    metric: str | None = Field(
        default=None,
        max_length=63,
        description="Metric compared; default: accuracy for classifiers, r2 for regressors.",
    )
    tolerance: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="How much worse than the champion the candidate may be (absolute). "
        + _preset_text("champion_tolerance"),
    )


class SliceBiasPolicy(ApiModel):
    """Performance by slice: quantile slices of numeric features, values of categorical ones."""

    enabled: bool = Field(default=True, description="Run the slice-bias detector.")
    threshold: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Relative gap of a slice's metric to the global one (accuracy for "
        "classifiers, error relative to the slice's own target spread for regressors), at the "
        "slice's optimistic confidence bound, that is a finding. "
        + _preset_text("slice_threshold"),
    )
    min_rows: int | None = Field(
        default=None,
        ge=5,
        description="Smallest slice considered, in rows. " + _preset_text("slice_min_rows"),
    )
    confidence: float | None = Field(
        default=None,
        gt=0.5,
        lt=1,
        description="Confidence that a sound model raises no slice finding at all (intervals "
        "Bonferroni-corrected over the slices). " + _preset_text("slice_confidence"),
    )


class RobustnessPolicy(ApiModel):
    """Prediction changes when each numeric feature moves by a small part of its own spread."""

    enabled: bool = Field(default=True, description="Run the robustness detector.")
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Largest tolerated fraction of predictions that change under the "
        "perturbation. " + _preset_text("robustness_threshold"),
    )
    perturbation: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Size of the perturbation as a fraction of each feature's spread "
        "(inter-quartile range / 1.349, or the standard deviation); integer features move by "
        "one step on that fraction of rows. " + _preset_text("robustness_perturbation"),
    )


class CalibrationPolicy(ApiModel):
    """Overconfidence and underconfidence of a classifier's probabilities."""

    enabled: bool = Field(default=True, description="Run the calibration detector.")
    threshold: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Largest tolerated gap between mean confidence and accuracy, at its 99% "
        "bound. " + _preset_text("calibration_threshold"),
    )


class LeakagePolicy(ApiModel):
    """Rows shared by training and holdout data; a single feature that predicts the target."""

    enabled: bool = Field(default=True, description="Run the data-leakage detector.")
    max_excess_shared_rows: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Fraction of holdout rows also in the training data tolerated beyond what "
        "chance predicts (the training data's own duplicate rate). "
        + _preset_text("leakage_excess_shared_rows"),
    )
    single_feature_score: float | None = Field(
        default=None,
        gt=0.5,
        le=1,
        description="A single feature scoring at least this (ROC AUC or R2) alone is a finding. "
        + _preset_text("leakage_single_feature_score"),
    )


class StochasticityPolicy(ApiModel):
    """The same rows twice must give the same outputs."""

    enabled: bool = Field(default=True, description="Run the stochasticity detector.")


class ValidationPolicy(ApiModel):
    """What the scan checks, and which findings block promotion."""

    preset: Preset = Field(
        default=Preset.DEFAULT,
        description="Thresholds of every detector at once: strict, default or lenient; a "
        "detector's own field wins over it.",
    )
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

    def settings(self) -> Settings:
        """The preset's settings with every field this policy sets in their place."""
        explicit: dict[str, Any] = {
            "champion_tolerance": self.champion.tolerance,
            "slice_threshold": self.slice_bias.threshold,
            "slice_min_rows": self.slice_bias.min_rows,
            "slice_confidence": self.slice_bias.confidence,
            "robustness_threshold": self.robustness.threshold,
            "robustness_perturbation": self.robustness.perturbation,
            "calibration_threshold": self.calibration.threshold,
            "leakage_excess_shared_rows": self.leakage.max_excess_shared_rows,
            "leakage_single_feature_score": self.leakage.single_feature_score,
        }
        chosen = {name: value for name, value in explicit.items() if value is not None}
        return dataclasses.replace(PRESETS[Preset(self.preset)], **chosen)


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
    setting: str | None = Field(
        default=None,
        max_length=63,
        description="The validation field that decides this finding, e.g. "
        "validation.sliceBias.threshold.",
    )
    passes_at: str | None = Field(
        default=None,
        max_length=63,
        description="A value of that field with which this finding would not be raised.",
    )

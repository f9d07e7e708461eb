"""ModelVersion: one entry of the model registry, scanned before it may reach production.

Registered by the operator when a TrainingRun succeeds, or created by a user to
import an existing ONNX model. The artifact and its digest never change.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from modelops.api.common import DIGEST, ApiModel, Condition, ModelName, immutable
from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, ValidationPolicy


class Stage(StrEnum):
    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


class Lineage(ApiModel):
    """Where the model came from."""

    training_run: str | None = Field(default=None, description="TrainingRun that produced it.")
    dataset_uri: str | None = Field(default=None, description="Dataset it was trained on.")
    dataset_digest: str | None = Field(default=None, description="sha256 of the dataset read.")
    estimator: str | None = Field(default=None, description="Estimator class.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
        description="Estimator parameters.",
    )
    code_version: str | None = Field(default=None, description="modelops version that trained.")


_IMMUTABLE = immutable()


class ModelVersionSpec(ApiModel):
    """A registered model: its artifact, digest, lineage and the policy its scan follows."""

    model: ModelName = Field(json_schema_extra=_IMMUTABLE)
    version: int = Field(
        ge=1, json_schema_extra=_IMMUTABLE, description="Version number within the model."
    )
    task: Task = Field(json_schema_extra=_IMMUTABLE, description="classification or regression.")
    artifact_uri: str = Field(
        min_length=1,
        max_length=2048,
        json_schema_extra=_IMMUTABLE,
        description="Directory URI holding model.onnx (and reference.json, holdout.parquet).",
    )
    digest: str = Field(
        pattern=DIGEST,
        json_schema_extra=_IMMUTABLE,
        description="sha256 of model.onnx, checked before every load.",
    )
    holdout_uri: str | None = Field(
        default=None,
        max_length=2048,
        description="Dataset the scan evaluates on; default: <artifactUri>/holdout.parquet.",
    )
    target: str = Field(
        default="target", min_length=1, description="Target column of the holdout dataset."
    )
    lineage: Lineage = Field(
        default_factory=Lineage,
        json_schema_extra={"default": {}},
        description="Where the model came from.",
    )
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Metrics reported by training."
    )
    validation: ValidationPolicy = Field(
        default_factory=ValidationPolicy,
        json_schema_extra={"default": {}},
        description="What the scan checks, and which findings reject the model.",
    )
    stage: Stage = Field(
        default=Stage.NONE,
        description="Desired stage: None, Staging, Production or Archived. Only a Validated "
        "version enters Production; promoting one archives the previous Production version.",
    )
    description: str = Field(default="", max_length=4096, description="Free text.")


class VersionPhase(StrEnum):
    PENDING = "Pending"
    VALIDATING = "Validating"
    VALIDATED = "Validated"
    REJECTED = "Rejected"


class ScanStatus(ApiModel):
    """The outcome of the scan Job."""

    passed: bool | None = Field(default=None, description="Whether no blocking finding was made.")
    job_name: str | None = Field(default=None, description="Name of the scan Job.")
    summary: dict[str, int] = Field(
        default_factory=dict, description="Number of findings by severity."
    )
    findings: list[Finding] = Field(
        default_factory=list, description="The blocking findings (at most 20)."
    )
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Metrics measured on the holdout by the scan."
    )
    champion: str | None = Field(
        default=None, description="The Production version it was compared with."
    )
    beats_champion: bool | None = Field(
        default=None, description="Whether it scored better than the champion."
    )
    report_uri: str | None = Field(default=None, description="HTML report.")
    completed_at: datetime | None = Field(default=None, description="When the scan ended.")


class ModelVersionStatus(ApiModel):
    """Validation state and stage of the version."""

    observed_generation: int | None = Field(
        default=None, description="The .metadata.generation the status was computed from."
    )
    phase: VersionPhase = Field(
        default=VersionPhase.PENDING,
        description="Pending, Validating, Validated or Rejected.",
    )
    conditions: list[Condition] = Field(
        default_factory=list, description="ScanPassed, Validated, Ready."
    )
    stage: Stage = Field(default=Stage.NONE, description="The stage in effect.")
    scan: ScanStatus = Field(default_factory=ScanStatus, description="Outcome of the scan.")
    key_metric: str | None = Field(
        default=None, description="The headline metric, e.g. accuracy=0.965."
    )
    deployed_by: list[str] = Field(
        default_factory=list, description="ModelDeployments serving this version."
    )
    message: str | None = Field(default=None, description="Last notable event, for humans.")

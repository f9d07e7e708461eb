"""ModelDeployment: serve a model's version over the Open Inference Protocol (V2).

Becomes a Deployment and a Service of onnxruntime serving pods (plus optional
HPA, PDB, ServiceMonitor). A retraining policy closes the loop: drift beyond its
threshold starts a TrainingRun whose model is scanned, validated and promoted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from modelops.api.common import DURATION, ApiModel, Condition, ModelName, Resources
from modelops.api.trainingrun import TrainingRunSpec


class VersionPolicy(StrEnum):
    LATEST_VALIDATED = "latest-validated"
    STAGE = "stage"


class ServingStage(StrEnum):
    STAGING = "Staging"
    PRODUCTION = "Production"


class NonFinitePolicy(StrEnum):
    REJECT = "reject"
    ALLOW = "allow"


class PayloadLogging(ApiModel):
    """Sampled request rows and predictions, appended in batches to the artifact store."""

    enabled: bool = Field(default=False, description="Log a sample of the payloads.")
    sample_rate: float = Field(default=0.01, gt=0, le=1, description="Fraction of requests logged.")
    uri: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "Where to append the logs; default: <artifact root>/<namespace>/<model>/payloads/."
        ),
    )


class Server(ApiModel):
    """Options of the inference server."""

    max_batch_size: int = Field(
        default=1024, ge=1, le=1_000_000, description="Largest batch accepted by /infer."
    )
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body; larger ones get 413.",
    )
    non_finite: NonFinitePolicy = Field(
        default=NonFinitePolicy.REJECT,
        description="What to do with NaN or infinite inputs: reject (400) or allow.",
    )
    payload_logging: PayloadLogging = Field(
        default_factory=PayloadLogging,
        json_schema_extra={"default": {}},
        description="Sampled payload logging.",
    )


class Autoscaling(ApiModel):
    """A HorizontalPodAutoscaler for the serving pods."""

    min_replicas: int = Field(default=1, ge=1, description="Fewest replicas.")
    max_replicas: int = Field(ge=1, le=1000, description="Most replicas.")
    target_cpu_utilization: int = Field(
        default=80, ge=1, le=100, description="Average CPU utilization to aim for, in percent."
    )


class Canary(ApiModel):
    """Run a newly resolved version beside the current one before it takes all traffic."""

    weight: int = Field(
        ge=0,
        le=100,
        description="Percent of replicas running the new version; 100 promotes it.",
    )


class Rollout(ApiModel):
    """How a new version replaces the served one."""

    max_surge: int = Field(default=1, ge=0, description="Extra pods allowed during a rollout.")
    max_unavailable: int = Field(
        default=0, ge=0, description="Pods that may be unavailable during a rollout."
    )
    canary: Canary | None = Field(default=None, description="Canary rollout, without a mesh.")


class DriftMonitoring(ApiModel):
    """Per-feature drift against the training data's reference profile."""

    enabled: bool = Field(default=True, description="Compute and export drift scores.")
    window: int = Field(
        default=1000, ge=100, le=100_000, description="Sliding window of rows compared."
    )


class Monitoring(ApiModel):
    """Metrics and drift exported by the serving pods."""

    drift: DriftMonitoring = Field(
        default_factory=DriftMonitoring,
        json_schema_extra={"default": {}},
        description="Drift scores.",
    )
    service_monitor: bool = Field(
        default=False,
        description="Create a ServiceMonitor when the Prometheus Operator's CRD exists "
        "(off by default: the install's PodMonitor already scrapes every serving pod).",
    )


class PrometheusSource(ApiModel):
    """Read the drift score from Prometheus."""

    url: str = Field(pattern=r"^https?://.+", max_length=2048, description="Prometheus base URL.")
    query: str | None = Field(
        default=None,
        max_length=4096,
        description="PromQL giving the drift score; default: the deployment's overall score.",
    )


class RetrainingPolicy(ApiModel):
    """Start a TrainingRun when drift stays above a threshold."""

    enabled: bool = Field(default=True, description="Act on drift; false only observes it.")
    threshold: float = Field(
        default=1.0,
        gt=0,
        description="Drift score above which the model is considered drifted "
        "(1.0 is the detector's calibrated alarm level).",
    )
    for_: str = Field(
        default="60s",
        alias="for",
        pattern=DURATION,
        description="How long the score must stay above the threshold, e.g. 60s.",
    )
    min_rows: int = Field(
        default=500, ge=1, description="Rows the serving pods must have observed before judging."
    )
    check_interval: str = Field(
        default="15s", pattern=DURATION, description="How often the drift score is read."
    )
    cooldown: str = Field(
        default="10m", pattern=DURATION, description="Least time between two retraining runs."
    )
    prometheus: PrometheusSource | None = Field(
        default=None,
        description="Read the score from Prometheus; without it the pods are scraped directly.",
    )
    auto_promote: bool = Field(
        default=False,
        description="Serve the new version once Validated and better than the champion; "
        "otherwise wait for a person to promote it.",
    )
    max_failures: int = Field(
        default=3, ge=1, description="Stop retraining after this many failed runs in a row."
    )
    template: TrainingRunSpec = Field(
        description="Spec of the TrainingRun to start (its model must be the deployment's)."
    )


class ModelDeploymentSpec(ApiModel):
    """Which model version to serve, how, and when to retrain it."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.retraining) || self.retraining.template.model == self.model",
                    "message": "retraining.template.model must equal model",
                },
                {
                    "rule": "!has(self.autoscaling) || "
                    "self.autoscaling.minReplicas <= self.autoscaling.maxReplicas",
                    "message": "autoscaling.minReplicas must not exceed maxReplicas",
                },
            ]
        }
    )

    model: ModelName
    version: int | None = Field(
        default=None, ge=1, description="Pin this version number; overrides policy."
    )
    policy: VersionPolicy = Field(
        default=VersionPolicy.LATEST_VALIDATED,
        description="Without a pinned version: latest-validated, or stage (see stage).",
    )
    stage: ServingStage = Field(
        default=ServingStage.PRODUCTION,
        description="With policy stage: serve the version in this stage.",
    )
    replicas: int = Field(default=1, ge=0, le=1000, description="Serving pods.")
    resources: Resources = Field(
        default_factory=Resources,
        json_schema_extra={"default": {}},
        description="Compute resources of each serving container.",
    )
    server: Server = Field(
        default_factory=Server,
        json_schema_extra={"default": {}},
        description="Inference server options.",
    )
    autoscaling: Autoscaling | None = Field(
        default=None, description="Scale on CPU with a HorizontalPodAutoscaler."
    )
    min_available: int | None = Field(
        default=None, ge=0, description="Create a PodDisruptionBudget keeping this many pods."
    )
    rollout: Rollout = Field(
        default_factory=Rollout,
        json_schema_extra={"default": {}},
        description="Rollout strategy.",
    )
    monitoring: Monitoring = Field(
        default_factory=Monitoring,
        json_schema_extra={"default": {}},
        description="Metrics and drift.",
    )
    retraining: RetrainingPolicy | None = Field(
        default=None, description="Retrain when drift stays high."
    )
    service_account_name: str | None = Field(
        default=None, max_length=253, description="Service account of the serving pods."
    )


class DriftStatus(ApiModel):
    """The last drift reading."""

    score: float | None = Field(default=None, description="Overall drift score.")
    threshold: float | None = Field(default=None, description="Threshold it was judged by.")
    drifted_features: list[str] = Field(
        default_factory=list, description="Features whose drift is above their alarm level."
    )
    rows: int | None = Field(default=None, description="Rows observed by the serving pods.")
    source: str | None = Field(default=None, description="prometheus or scrape.")
    last_checked: datetime | None = Field(default=None, description="When it was read.")
    above_since: datetime | None = Field(
        default=None, description="Since when the score has stayed above the threshold."
    )


class RetrainingOutcome(StrEnum):
    """Where the last retraining stands; the first three are followed, the rest are ends."""

    RUNNING = "Running"
    VALIDATING = "Validating"
    AWAITING_APPROVAL = "AwaitingApproval"
    PROMOTED = "Promoted"
    REJECTED = "Rejected"
    FAILED = "Failed"


class RetrainingStatus(ApiModel):
    """The last retraining the policy started."""

    run: str = Field(description="TrainingRun started.")
    reason: str = Field(description="Why it was started.")
    started: datetime = Field(description="When it was started.")
    outcome: RetrainingOutcome | None = Field(
        default=None,
        description="Running, Validating, AwaitingApproval, Promoted, Rejected or Failed.",
    )
    model_version: str | None = Field(default=None, description="ModelVersion it produced.")


class ModelDeploymentStatus(ApiModel):
    """What is being served, and how healthy it is."""

    observed_generation: int | None = Field(
        default=None, description="The .metadata.generation the status was computed from."
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Ready, Available, Progressing, DriftDetected, Retraining.",
    )
    current_version: int | None = Field(default=None, description="Version being served.")
    previous_version: int | None = Field(default=None, description="Version served before.")
    canary_version: int | None = Field(default=None, description="Version in canary, if any.")
    replicas: int = Field(default=0, ge=0, description="Serving pods.")
    ready_replicas: int = Field(default=0, ge=0, description="Serving pods ready.")
    selector: str | None = Field(default=None, description="Label selector of the pods.")
    url: str | None = Field(default=None, description="Inference URL (the Service's DNS name).")
    drift: DriftStatus | None = Field(default=None, description="Last drift reading.")
    last_retraining: RetrainingStatus | None = Field(
        default=None, description="Last retraining started by the policy."
    )
    retraining_failures: int = Field(
        default=0, ge=0, description="Failed retraining runs in a row."
    )
    retrain_request: str | None = Field(
        default=None,
        description="Value of the modelops.dev/retrain-requested annotation last acted on.",
    )
    message: str | None = Field(default=None, description="Last notable event, for humans.")

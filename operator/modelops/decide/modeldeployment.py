"""Which version a ModelDeployment serves, how a new one rolls out, and what its status says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelops.api.common import set_condition
from modelops.api.modeldeployment import ModelDeploymentSpec, ModelDeploymentStatus, VersionPolicy
from modelops.api.modelversion import Stage, VersionPhase
from modelops.render.serving import Served, split_replicas


@dataclass(frozen=True)
class Candidate:
    """A ModelVersion of the deployment's model, as far as serving cares."""

    number: int
    name: str
    phase: str
    stage: str
    artifact_uri: str
    digest: str

    @property
    def served(self) -> Served:
        return Served(self.number, self.name, self.artifact_uri, self.digest)

    @property
    def validated(self) -> bool:
        return self.phase == VersionPhase.VALIDATED


def candidates(versions: list[dict[str, Any]], model: str) -> list[Candidate]:
    """The model's versions from ModelVersion objects, lowest number first."""
    found = []
    for version in versions:
        spec, status = version.get("spec") or {}, version.get("status") or {}
        if spec.get("model") != model:
            continue
        found.append(
            Candidate(
                number=int(spec["version"]),
                name=str(version["metadata"]["name"]),
                phase=str(status.get("phase", VersionPhase.PENDING)),
                stage=str(status.get("stage", Stage.NONE)),
                artifact_uri=str(spec["artifactUri"]),
                digest=str(spec["digest"]),
            )
        )
    return sorted(found, key=lambda c: c.number)


@dataclass(frozen=True)
class Resolution:
    version: Candidate | None
    reason: str
    message: str


def resolve(spec: ModelDeploymentSpec, found: list[Candidate]) -> Resolution:
    """The version the spec asks for; only a Validated version is ever served."""
    if spec.version is not None:
        pinned = next((c for c in found if c.number == spec.version), None)
        if pinned is None:
            return Resolution(
                None, "VersionNotFound", f"{spec.model} has no version {spec.version}"
            )
        if not pinned.validated:
            return Resolution(
                None, "VersionNotValidated", f"{pinned.name} is {pinned.phase}, not Validated"
            )
        return Resolution(pinned, "Pinned", f"version {pinned.number} is pinned")
    validated = [c for c in found if c.validated]
    if spec.policy == VersionPolicy.STAGE:
        in_stage = [c for c in validated if c.stage == spec.stage]
        if not in_stage:
            return Resolution(
                None, "NoVersionInStage", f"no Validated version of {spec.model} in {spec.stage}"
            )
        return Resolution(in_stage[-1], "Stage", f"version {in_stage[-1].number} is {spec.stage}")
    live = [c for c in validated if c.stage != Stage.ARCHIVED]
    if not live:
        return Resolution(
            None, "NoValidatedVersion", f"no Validated version of {spec.model} to serve yet"
        )
    return Resolution(live[-1], "LatestValidated", f"version {live[-1].number} is the latest")


@dataclass(frozen=True)
class Plan:
    """What to run: the stable track, and a canary when one is in progress."""

    stable: Candidate | None
    stable_replicas: int
    canary: Candidate | None
    canary_replicas: int
    current_version: int | None
    previous_version: int | None


def plan(
    spec: ModelDeploymentSpec,
    status: ModelDeploymentStatus,
    target: Candidate | None,
    found: list[Candidate],
) -> Plan:
    """Roll from the served version to ``target``: directly, or through a canary."""
    current = next((c for c in found if c.number == status.current_version), None)
    previous = status.previous_version
    if target is None or (current is not None and target.number == current.number):
        keep = current or target
        number = keep.number if keep else None
        return Plan(keep, spec.replicas, None, 0, number, previous)
    if current is None:
        return Plan(target, spec.replicas, None, 0, target.number, previous)
    weight = spec.rollout.canary.weight if spec.rollout.canary is not None else 100
    if weight >= 100:
        return Plan(target, spec.replicas, None, 0, target.number, current.number)
    stable_replicas, canary_replicas = split_replicas(spec.replicas, weight)
    canary = target if canary_replicas else None
    return Plan(current, stable_replicas, canary, canary_replicas, current.number, previous)


def _count(deployment: dict[str, Any] | None, field: str) -> int:
    if deployment is None:
        return 0
    return int((deployment.get("status") or {}).get(field) or 0)


def _rolled_out(deployment: dict[str, Any] | None, replicas: int) -> bool:
    if deployment is None:
        return replicas == 0
    status = deployment.get("status") or {}
    generation = int(deployment["metadata"].get("generation", 0))
    return (
        int(status.get("observedGeneration") or 0) >= generation
        and int(status.get("updatedReplicas") or 0) >= replicas
        and int(status.get("availableReplicas") or 0) >= replicas
        and int(status.get("replicas") or 0) <= replicas
    )


def serving_status(
    spec: ModelDeploymentSpec,
    status: ModelDeploymentStatus,
    chosen: Plan,
    resolution: Resolution,
    stable: dict[str, Any] | None,
    canary: dict[str, Any] | None,
    url: str,
    selector: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    """Status from the plan and the Deployments as their controller reports them."""
    replicas = _count(stable, "replicas") + _count(canary, "replicas")
    ready = _count(stable, "readyReplicas") + _count(canary, "readyReplicas")
    available = _count(stable, "availableReplicas") + _count(canary, "availableReplicas")
    done = _rolled_out(stable, chosen.stable_replicas) and _rolled_out(
        canary, chosen.canary_replicas
    )
    conditions = status.conditions

    def put(kind: str, value: bool, reason: str, message: str) -> None:
        nonlocal conditions
        conditions = set_condition(
            conditions, kind, value, reason, message, now=now, generation=generation
        )

    if chosen.stable is None:
        put("Available", False, resolution.reason, resolution.message)
        put("Progressing", False, resolution.reason, resolution.message)
        put("Ready", False, resolution.reason, resolution.message)
    else:
        want = chosen.stable_replicas + chosen.canary_replicas
        put(
            "Available",
            available > 0 or want == 0,
            "MinimumReplicasAvailable" if available > 0 else "NoReplicasAvailable",
            f"{available}/{want} serving pods available",
        )
        candidate = chosen.canary
        if candidate is not None:
            share = f"{chosen.canary_replicas} of {want} pods"
            put("Progressing", True, "Canary", f"canary of version {candidate.number} on {share}")
        elif not done:
            put("Progressing", True, "RollingOut", f"rolling out version {chosen.current_version}")
        else:
            put(
                "Progressing", False, "RolloutComplete", f"serving version {chosen.current_version}"
            )
        if want == 0:
            put("Ready", False, "ScaledToZero", "replicas is 0")
        elif done and ready >= want:
            put(
                "Ready",
                True,
                "Serving",
                f"serving version {chosen.current_version} ({ready} ready)",
            )
        elif resolution.version is None:
            put("Ready", ready > 0, resolution.reason, resolution.message)
        else:
            put("Ready", False, "RollingOut", f"{ready}/{want} serving pods ready")
    return status.model_copy(
        update={
            "observed_generation": generation,
            "conditions": conditions,
            "current_version": chosen.current_version,
            "previous_version": chosen.previous_version,
            "canary_version": chosen.canary.number if chosen.canary else None,
            "replicas": replicas,
            "ready_replicas": ready,
            "selector": selector,
            "url": url,
        }
    )

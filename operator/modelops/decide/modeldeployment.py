"""The ModelDeployment planner: which version to serve, how it rolls out, what status says.

``plan`` renders the serving objects, compares them with the live ones and writes only
what differs, and only to objects this deployment owns: an object of the same name
that it does not own is never adopted or changed, and the status names it
(``Conflict``). Only a version whose own scan Job passed is ever served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from modelops import API_VERSION
from modelops.api.common import describe, set_condition, status_of
from modelops.api.modeldeployment import ModelDeploymentSpec, ModelDeploymentStatus, VersionPolicy
from modelops.api.modelversion import ModelVersionSpec, Stage, VersionPhase
from modelops.decide import admission, modelversion, retraining
from modelops.decide.children import covers
from modelops.decide.jobstatus import job_state
from modelops.decide.plan import Builder, Plan, Write
from modelops.render import batchjobs, names, serving
from modelops.render.serving import ChildKey, Served, split_replicas
from modelops.settings import Settings
from modelops.structs import Obj, Owner, Ref, owned_by

KIND = "ModelDeployment"


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


def passed_scan(version: Obj, scan_jobs: list[Obj], settings: Settings) -> bool:
    """Whether the version's own scan Job completed: the operator's scanner ran on this
    artifact and digest, under this policy, and passed it (a rejecting scan fails its Job).
    Its status alone proves nothing.
    """
    meta = version["metadata"]
    job = next(
        (j for j in scan_jobs if j["metadata"]["name"] == names.scan_job(meta["name"])), None
    )
    if job is None or not owned_by(job, str(meta.get("uid") or "")):
        return False
    try:
        spec = ModelVersionSpec.model_validate(version.get("spec") or {})
    except ValidationError:
        return False
    rendered = batchjobs.scan_job(Owner.of(version), spec, settings, None)
    return modelversion.genuine_scan(job, rendered) and job_state(job).outcome == "Succeeded"


def candidates(
    versions: list[Obj],
    model: str,
    scan_jobs: list[Obj] | None = None,
    settings: Settings | None = None,
) -> list[Candidate]:
    """The model's versions from ModelVersion objects, lowest number first.

    With ``scan_jobs`` (and the settings the scans were rendered with), a version counts
    as Validated only if its scan Job backs it.
    """
    found = []
    for version in versions:
        spec, status = version.get("spec") or {}, version.get("status") or {}
        if spec.get("model") != model:
            continue
        phase = str(status.get("phase", VersionPhase.PENDING))
        if (
            phase == VersionPhase.VALIDATED
            and scan_jobs is not None
            and settings is not None
            and not passed_scan(version, scan_jobs, settings)
        ):
            phase = VersionPhase.VALIDATING
        found.append(
            Candidate(
                number=int(spec["version"]),
                name=str(version["metadata"]["name"]),
                phase=phase,
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
class Rollout:
    """What to run: the stable track, and a canary when one is in progress."""

    stable: Candidate | None
    stable_replicas: int
    canary: Candidate | None
    canary_replicas: int
    current_version: int | None
    previous_version: int | None


def rollout(
    spec: ModelDeploymentSpec,
    status: ModelDeploymentStatus,
    target: Candidate | None,
    found: list[Candidate],
) -> Rollout:
    """Roll from the served version to ``target``: directly, or through a canary."""
    current = next((c for c in found if c.number == status.current_version), None)
    previous = status.previous_version
    if target is None or (current is not None and target.number == current.number):
        keep = current or target
        number = keep.number if keep else None
        return Rollout(keep, spec.replicas, None, 0, number, previous)
    if current is None:
        return Rollout(target, spec.replicas, None, 0, target.number, previous)
    weight = spec.rollout.canary.weight if spec.rollout.canary is not None else 100
    if weight >= 100:
        return Rollout(target, spec.replicas, None, 0, target.number, current.number)
    stable_replicas, canary_replicas = split_replicas(spec.replicas, weight)
    canary = target if canary_replicas else None
    return Rollout(current, stable_replicas, canary, canary_replicas, current.number, previous)


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
    chosen: Rollout,
    resolution: Resolution,
    stable: dict[str, Any] | None,
    canary: dict[str, Any] | None,
    url: str,
    selector: str,
    now: datetime,
    generation: int,
    changing: bool = False,
) -> ModelDeploymentStatus:
    """Status from the rollout and the Deployments as their controller reports them.

    ``changing``: this reconcile writes a new spec to a Deployment, so whatever its status
    says, the rollout is not done yet.
    """
    replicas = _count(stable, "replicas") + _count(canary, "replicas")
    ready = _count(stable, "readyReplicas") + _count(canary, "readyReplicas")
    available = _count(stable, "availableReplicas") + _count(canary, "availableReplicas")
    done = (
        not changing
        and _rolled_out(stable, chosen.stable_replicas)
        and _rolled_out(canary, chosen.canary_replicas)
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


@dataclass(frozen=True)
class Observed:
    """What a ModelDeployment's reconcile read."""

    body: Obj | None
    name: str = ""
    namespace: str = ""
    #: The namespace's ModelVersions.
    versions: list[Obj] = field(default_factory=list)
    #: Scan Jobs of the deployment's model: what backs a version's Validated phase.
    scan_jobs: list[Obj] = field(default_factory=list)
    #: The live object under every name the deployment may own (None: absent).
    children: dict[ChildKey, Obj | None] = field(default_factory=dict)
    service_monitors: bool = False
    retraining: retraining.Observed = field(default_factory=retraining.Observed)


def plan(observed: Observed, now: datetime, settings: Settings) -> Plan[ModelDeploymentStatus]:
    """What to do about one ModelDeployment."""
    out: Builder[ModelDeploymentStatus] = Builder()
    body = observed.body
    if body is None:
        _deployed_by(out, observed.versions, observed.name, served=set())
        return out.done(None)
    status = status_of(ModelDeploymentStatus, body)
    generation = int(body["metadata"].get("generation", 1))
    try:
        spec = ModelDeploymentSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        conditions = set_condition(
            status.conditions,
            "Ready",
            False,
            "InvalidSpec",
            describe(error),
            now=now,
            generation=generation,
        )
        return out.done(status.model_copy(update={"conditions": conditions}))

    refusals = admission.deployment_refusals(spec, settings)
    if refusals:
        conditions = set_condition(
            status.conditions,
            "Ready",
            False,
            "InvalidSpec",
            "; ".join(refusals),
            now=now,
            generation=generation,
        )
        return out.done(status.model_copy(update={"conditions": conditions}))
    owner = Owner.of(body)
    found = candidates(observed.versions, spec.model, observed.scan_jobs, settings)
    resolution = resolve(spec, found)
    chosen = rollout(spec, status, resolution.version, found)
    wanted = _wanted(owner, spec, settings, chosen, observed.service_monitors)
    conflicts: list[str] = []
    changing = False
    for key, rendered in wanted.items():
        live = observed.children.get(key)
        if rendered is None:
            if live is not None and owned_by(live, owner.uid):
                out.write(Write.delete(Ref.of(live)))
        elif live is not None and not owned_by(live, owner.uid):
            conflicts.append(f"{key[1]} {key[2]}")
        elif live is None or not covers(live, rendered):
            out.write(Write.apply(rendered))
            changing = changing or key[1] == "Deployment"

    stable_key, canary_key = _tracks(owner)
    url = f"http://{owner.name}.{owner.namespace}.svc.cluster.local/v2/models/{spec.model}"
    new = serving_status(
        spec,
        status,
        chosen,
        resolution,
        _owned(observed.children.get(stable_key), owner),
        _owned(observed.children.get(canary_key), owner),
        url,
        serving.selector_string(owner),
        now,
        generation,
        changing=changing,
    )
    if conflicts:
        message = (
            f"{', '.join(conflicts)} already exist(s) and are not owned by this ModelDeployment; "
            "rename the ModelDeployment or remove them"
        )
        conditions = set_condition(
            new.conditions, "Ready", False, "Conflict", message, now=now, generation=generation
        )
        new = new.model_copy(update={"conditions": conditions})
    new = retraining.plan(
        out, body, spec.retraining, new, observed.retraining, observed.versions, now
    )
    _events(out, owner, status, new)
    served = {c.name for c in (chosen.stable, chosen.canary) if c is not None}
    _deployed_by(out, observed.versions, owner.name, served)
    return out.done(new)


def _tracks(owner: Owner) -> tuple[ChildKey, ChildKey]:
    return (
        ("apps/v1", "Deployment", names.predictor(owner.name)),
        ("apps/v1", "Deployment", names.predictor(owner.name, canary=True)),
    )


def _owned(live: Obj | None, owner: Owner) -> Obj | None:
    return live if live is not None and owned_by(live, owner.uid) else None


def _wanted(
    owner: Owner,
    spec: ModelDeploymentSpec,
    settings: Settings,
    chosen: Rollout,
    service_monitors: bool,
) -> dict[ChildKey, Obj | None]:
    """Each child the deployment should have, rendered; None where it must not exist.

    With no version to serve yet, the stable track's objects are left as they are.
    """
    canary_key = _tracks(owner)[1]
    wanted: dict[ChildKey, Obj | None] = {}
    if chosen.stable is not None:
        service = serving.service(owner, spec, settings)
        policy = serving.network_policy(owner, settings)
        stable = serving.deployment(
            owner, spec, chosen.stable.served, settings, chosen.stable_replicas
        )
        for rendered in (service, policy, stable):
            meta = rendered["metadata"]
            wanted[(rendered["apiVersion"], rendered["kind"], meta["name"])] = rendered
        wanted.update(serving.optional_children(owner, spec, service_monitors))
    wanted[canary_key] = (
        serving.deployment(
            owner,
            spec,
            chosen.canary.served,
            settings,
            chosen.canary_replicas,
            serving.CANARY,
        )
        if chosen.canary is not None
        else None
    )
    return wanted


def _events(
    out: Builder[ModelDeploymentStatus],
    owner: Owner,
    old: ModelDeploymentStatus,
    new: ModelDeploymentStatus,
) -> None:
    if new.current_version != old.current_version and new.current_version is not None:
        was = f" (was {old.current_version})" if old.current_version is not None else ""
        out.event(owner.ref(), "VersionChanged", f"serving version {new.current_version}{was}")
    if new.canary_version != old.canary_version and new.canary_version is not None:
        out.event(owner.ref(), "CanaryStarted", f"canary of version {new.canary_version}")


def _deployed_by(
    out: Builder[ModelDeploymentStatus], versions: list[Obj], deployment: str, served: set[str]
) -> None:
    """Keep ``status.deployedBy`` of the versions true: the deployment listed where it serves."""
    for version in versions:
        meta = version["metadata"]
        deployed = list((version.get("status") or {}).get("deployedBy") or [])
        serves = meta["name"] in served
        if serves and deployment not in deployed:
            deployed = sorted([*deployed, deployment])
        elif not serves and deployment in deployed:
            deployed = [d for d in deployed if d != deployment]
        else:
            continue
        ref = Ref(API_VERSION, "ModelVersion", meta["namespace"], meta["name"], meta.get("uid", ""))
        out.write(Write.patch_status(ref, {"deployedBy": deployed}))

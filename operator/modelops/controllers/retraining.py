"""The retraining loop of a ModelDeployment: read drift, start a run, follow it, promote.

Called from the ModelDeployment reconcile; returns the deployment's next status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelops import API_VERSION, telemetry
from modelops.api.common import set_condition
from modelops.api.modeldeployment import (
    ModelDeploymentSpec,
    ModelDeploymentStatus,
    RetrainingPolicy,
    RetrainingStatus,
)
from modelops.controllers.context import Context, event
from modelops.decide import retraining as decide
from modelops.decide.durations import seconds
from modelops.kube import errors
from modelops.render import names, serving
from modelops.render.jobs import Owner
from modelops.render.retraining import retraining_run

FOLLOWED = ("Running", "Validating", "AwaitingApproval")
#: Set this annotation (to any new value, e.g. a timestamp) to retrain now, drift or not.
RETRAIN_ANNOTATION = "modelops.dev/retrain-requested"
PROMOTE_PATCH = '{"spec":{"stage":"Production"}}'


async def step(
    ctx: Context, body: dict[str, Any], spec: ModelDeploymentSpec, status: ModelDeploymentStatus
) -> ModelDeploymentStatus:
    policy, version = spec.retraining, status.current_version
    if policy is None or version is None:
        return status
    now = ctx.now()
    generation = int(body["metadata"].get("generation", 1))
    before = status.last_retraining.outcome if status.last_retraining else None
    status = await _follow(ctx, body, policy, status, now, generation)
    after = status.last_retraining.outcome if status.last_retraining else None
    if after != before and after in ("Promoted", "AwaitingApproval", "Rejected", "Failed"):
        ctx.metrics.retraining_outcomes.labels(after).inc()
    runs: list[dict[str, Any]] | None = None
    requested = (body["metadata"].get("annotations") or {}).get(RETRAIN_ANNOTATION)
    if requested and requested != status.retrain_request:
        runs = await _runs(ctx, body)
        if not _in_flight(runs):
            status = status.model_copy(update={"retrain_request": requested})
            reason = "requested by annotation"
            return await _start(ctx, body, policy, status, runs, reason, now, generation)
    checked = status.drift.last_checked if status.drift else None
    if checked is not None and (now - checked).total_seconds() < seconds(policy.check_interval):
        return status

    reading = await _read(ctx, body, spec, policy, version)
    drift, verdict = decide.judge(policy, status.drift, reading, now)
    ctx.metrics.drift_checks.labels(verdict.state).inc()
    conditions = set_condition(
        status.conditions,
        "DriftDetected",
        verdict.state == "Drifted",
        verdict.state if verdict.state != "Drifted" else "DriftDetected",
        verdict.message,
        now=now,
        generation=generation,
    )
    status = status.model_copy(update={"drift": drift, "conditions": conditions})
    if runs is None:
        runs = await _runs(ctx, body)
    in_flight = _in_flight(runs)
    decision = decide.should_retrain(
        policy, verdict, status.last_retraining, in_flight, status.retraining_failures, now
    )
    if not decision.start:
        if not in_flight and decision.reason in ("Cooldown", "TooManyFailures", "Disabled"):
            status = _retraining(status, False, decision.reason, decision.message, now, generation)
        return status
    return await _start(ctx, body, policy, status, runs, decision.message, now, generation)


async def _read(
    ctx: Context,
    body: dict[str, Any],
    spec: ModelDeploymentSpec,
    policy: RetrainingPolicy,
    version: int,
) -> decide.Reading:
    url = policy.prometheus.url if policy.prometheus else ctx.settings.prometheus_url
    query = policy.prometheus.query if policy.prometheus else None
    try:
        if url:
            return await telemetry.from_prometheus(url, query, spec.model, version)
        owner = _owner(body)
        pods = await ctx.kube.list("v1", "Pod", owner.namespace, labels=serving.selector(owner))
        return await telemetry.from_pods(pods, spec.model, version)
    except Exception as error:  # an unreachable source is no data, never drift
        source = "prometheus" if url else "scrape"
        return decide.Reading(None, None, (), f"{source} ({type(error).__name__}: {error})"[:200])


def _owner(body: dict[str, Any]) -> Owner:
    meta = body["metadata"]
    return Owner("ModelDeployment", meta["name"], meta["namespace"], meta["uid"])


async def _runs(ctx: Context, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The TrainingRuns this deployment's policy has started."""
    meta = body["metadata"]
    return await ctx.kube.list(
        API_VERSION,
        "TrainingRun",
        meta["namespace"],
        labels={names.DEPLOYMENT: names.label_value(meta["name"])},
    )


def _in_flight(runs: list[dict[str, Any]]) -> bool:
    return any((r.get("status") or {}).get("phase") not in ("Succeeded", "Failed") for r in runs)


async def _start(
    ctx: Context,
    body: dict[str, Any],
    policy: RetrainingPolicy,
    status: ModelDeploymentStatus,
    runs: list[dict[str, Any]],
    reason: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    owner = _owner(body)
    sequence = len(runs) + 1
    while True:
        run = retraining_run(owner, policy, sequence, reason)
        try:
            await ctx.kube.create(run)
            break
        except errors.AlreadyExists:
            sequence += 1
    name = run["metadata"]["name"]
    ctx.metrics.retraining_triggers.inc()
    event(body, "RetrainingStarted", f"started TrainingRun {name}: {reason}")
    last = RetrainingStatus(run=name, reason=reason, started=now, outcome="Running")
    status = status.model_copy(update={"last_retraining": last})
    return _retraining(status, True, "Training", f"TrainingRun {name} is running", now, generation)


async def _follow(
    ctx: Context,
    body: dict[str, Any],
    policy: RetrainingPolicy,
    status: ModelDeploymentStatus,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    """Move the last retraining along: trained -> validated -> promoted or awaiting a person."""
    last = status.last_retraining
    if last is None or last.outcome not in FOLLOWED:
        return status
    namespace = body["metadata"]["namespace"]
    run = await ctx.kube.find(API_VERSION, "TrainingRun", namespace, last.run)
    run_status = (run or {}).get("status") or {}
    phase = run_status.get("phase")
    if run is None or phase == "Failed":
        why = run_status.get("message") or "the TrainingRun is gone"
        return _ended(
            body, status, "Failed", f"{last.run} failed: {why}", now, generation, failed=True
        )
    version_name = run_status.get("modelVersion")
    if phase != "Succeeded" or not version_name:
        return status
    version = await ctx.kube.find(API_VERSION, "ModelVersion", namespace, version_name)
    version_status = (version or {}).get("status") or {}
    last = last.model_copy(update={"model_version": version_name})
    status = status.model_copy(update={"last_retraining": last})
    if version is None or version_status.get("phase") == "Rejected":
        why = version_status.get("message") or "the ModelVersion is gone"
        return _ended(
            body,
            status,
            "Rejected",
            f"{version_name} rejected: {why}",
            now,
            generation,
            failed=True,
        )
    if version_status.get("phase") != "Validated":
        if last.outcome != "Validating":
            status = status.model_copy(
                update={"last_retraining": last.model_copy(update={"outcome": "Validating"})}
            )
        return _retraining(
            status, True, "Validating", f"{version_name} is being scanned", now, generation
        )
    beats = ((version_status.get("scan") or {}).get("beatsChampion")) is not False
    if not beats:
        return _ended(
            body,
            status,
            "Rejected",
            f"{version_name} does not beat the champion",
            now,
            generation,
            failed=True,
        )
    if not policy.auto_promote:
        if last.outcome != "AwaitingApproval":
            event(
                body,
                "AwaitingApproval",
                f"{version_name} is Validated and beats the champion; promote it with: "
                f"kubectl patch mv {version_name} --type merge -p '{PROMOTE_PATCH}'",
            )
            status = status.model_copy(
                update={"last_retraining": last.model_copy(update={"outcome": "AwaitingApproval"})}
            )
        return _retraining(
            status,
            False,
            "AwaitingApproval",
            f"{version_name} waits for promotion",
            now,
            generation,
        )
    await _promote(ctx, namespace, version_name, status)
    return _ended(
        body, status, "Promoted", f"{version_name} promoted to Production", now, generation
    )


async def _promote(
    ctx: Context, namespace: str, version: str, status: ModelDeploymentStatus
) -> None:
    await ctx.kube.patch(
        API_VERSION, "ModelVersion", namespace, version, {"spec": {"stage": "Production"}}
    )
    for other in await ctx.kube.list(API_VERSION, "ModelVersion", namespace):
        other_spec = other.get("spec") or {}
        if (
            other["metadata"]["name"] != version
            and other_spec.get("version") == status.current_version
        ) and other_spec.get("stage") != "Archived":
            await ctx.kube.patch(
                API_VERSION,
                "ModelVersion",
                namespace,
                other["metadata"]["name"],
                {"spec": {"stage": "Archived"}},
            )


def _ended(
    body: dict[str, Any],
    status: ModelDeploymentStatus,
    outcome: str,
    message: str,
    now: datetime,
    generation: int,
    failed: bool = False,
) -> ModelDeploymentStatus:
    assert status.last_retraining is not None
    last = status.last_retraining.model_copy(update={"outcome": outcome})
    failures = status.retraining_failures + 1 if failed else 0
    status = status.model_copy(update={"last_retraining": last, "retraining_failures": failures})
    event(body, f"Retraining{outcome}", message, warning=failed)
    return _retraining(status, False, outcome, message, now, generation)


def _retraining(
    status: ModelDeploymentStatus,
    active: bool,
    reason: str,
    message: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    conditions = set_condition(
        status.conditions, "Retraining", active, reason, message, now=now, generation=generation
    )
    return status.model_copy(update={"conditions": conditions})

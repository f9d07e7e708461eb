"""The ModelDeployment controller: reads the deployment, its children, versions and drift."""

from __future__ import annotations

from typing import Any

import kopf

from modelops import API_VERSION, GROUP, VERSION, telemetry
from modelops.api.common import status_of
from modelops.api.modeldeployment import ModelDeploymentSpec, ModelDeploymentStatus
from modelops.controllers import skeleton
from modelops.controllers.context import Context, of
from modelops.decide import modeldeployment as decide
from modelops.decide import retraining
from modelops.render import names, serving
from modelops.structs import Obj, Owner

KIND = decide.KIND


async def read(ctx: Context, namespace: str, name: str, body: Obj | None) -> decide.Observed:
    versions = await ctx.kube.list(API_VERSION, "ModelVersion", namespace)
    if body is None:
        return decide.Observed(None, name, namespace, versions)
    spec = body.get("spec") or {}
    model = str(spec.get("model", ""))
    scan_jobs = await ctx.kube.list(
        "batch/v1",
        "Job",
        namespace,
        labels={names.COMPONENT: "scanner", names.MODEL: model} if model else None,
    )
    owner = Owner.of(body)
    monitors = await ctx.kube.kind_exists("monitoring.coreos.com/v1", "ServiceMonitor")
    children = {
        key: await ctx.kube.find(key[0], key[1], namespace, key[2])
        for key in serving.child_keys(owner, monitors)
    }
    return decide.Observed(
        body,
        name,
        namespace,
        versions,
        scan_jobs,
        children,
        monitors,
        await _read_retraining(ctx, body, owner),
    )


async def _read_retraining(ctx: Context, body: Obj, owner: Owner) -> retraining.Observed:
    status = status_of(ModelDeploymentStatus, body)
    try:
        spec = ModelDeploymentSpec.model_validate(body.get("spec") or {})
    except ValueError:
        return retraining.Observed()
    policy, version = spec.retraining, status.current_version
    if policy is None or version is None:
        return retraining.Observed()
    runs = await ctx.kube.list(API_VERSION, "TrainingRun", owner.namespace)
    if not retraining.drift_due(policy, status, ctx.now()):
        return retraining.Observed(runs)
    where = retraining.source(policy, ctx.settings)
    try:
        if where.refused:
            reading = retraining.Reading(None, None, (), where.refused)
        elif where.url:
            reading = await telemetry.from_prometheus(where.url, where.query, spec.model, version)
        else:
            pods = await ctx.kube.list("v1", "Pod", owner.namespace, labels=serving.selector(owner))
            reading = await telemetry.from_pods(pods, spec.model, version)
    except Exception as error:  # an unreachable source is no data, never drift
        # Only the error's kind: a body or message from a URL is never reflected into status.
        what = f"prometheus ({telemetry.describe(error)})" if where.url else "scrape"
        reading = retraining.Reading(None, None, (), what)
    return retraining.Observed(runs, (version, reading))


def observe(
    ctx: Context, body: Obj, old: ModelDeploymentStatus, new: ModelDeploymentStatus
) -> None:
    """Served version, replicas, drift checks and retraining starts and outcomes."""
    meta = body["metadata"]
    labels = (meta["namespace"], meta["name"], str((body.get("spec") or {}).get("model", "")))
    if new.current_version is not None:
        ctx.metrics.served_version.labels(*labels).set(new.current_version)
    ctx.metrics.ready_replicas.labels(*labels).set(new.ready_replicas)
    checked = new.drift.last_checked if new.drift else None
    if checked is not None and checked != (old.drift.last_checked if old.drift else None):
        condition = next((c for c in new.conditions if c.type == "DriftDetected"), None)
        reason = condition.reason if condition is not None else retraining.DriftState.NO_DATA
        drifted = reason == "DriftDetected"
        ctx.metrics.drift_checks.labels(retraining.DriftState.DRIFTED if drifted else reason).inc()
    last, before = new.last_retraining, old.last_retraining
    if last is None:
        return
    if before is None or before.run != last.run:
        ctx.metrics.retraining_triggers.inc()
    changed = before is None or before.run != last.run or before.outcome != last.outcome
    if changed and last.outcome in retraining.ENDED:
        ctx.metrics.retraining_outcomes.labels(str(last.outcome)).inc()


KIND_SPEC = skeleton.Kind(
    name=KIND,
    read=read,
    plan=decide.plan,
    status_of=lambda body: status_of(ModelDeploymentStatus, body),
    status_patch=lambda status: status.to_merge_patch(),
    observe=observe,
)


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    await skeleton.reconcile(ctx, KIND_SPEC, namespace, name)


@kopf.on.event(GROUP, VERSION, "modeldeployments")
async def on_model_deployment(
    type: str, name: str, namespace: str | None, memo: Any, **_: Any
) -> None:
    await reconcile(of(memo), namespace or "", name)


@kopf.on.event("apps", "v1", "deployments", labels={names.COMPONENT: "predictor"})
async def on_serving_deployment(
    body: kopf.Body, namespace: str | None, memo: Any, **_: Any
) -> None:
    for ref in body.metadata.get("ownerReferences") or []:
        if ref.get("kind") == KIND and ref.get("apiVersion") == API_VERSION:
            await reconcile(of(memo), namespace or "", ref["name"])


@kopf.on.event(GROUP, VERSION, "modelversions")
async def on_model_version_change(
    type: str, spec: kopf.Spec, namespace: str | None, memo: Any, **_: Any
) -> None:
    """A version validated, promoted or archived may change what deployments serve."""
    context = of(memo)
    for deployment in await context.kube.list(API_VERSION, KIND, namespace or None):
        if (deployment.get("spec") or {}).get("model") == spec.get("model"):
            await reconcile(
                context, deployment["metadata"]["namespace"], deployment["metadata"]["name"]
            )


@kopf.timer(GROUP, VERSION, "modeldeployments", interval=5.0, initial_delay=5.0, backoff=5.0)
async def resync_model_deployment(name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    await reconcile(of(memo), namespace or "", name)

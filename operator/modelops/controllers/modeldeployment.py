"""The ModelDeployment controller: resolve a version, run it, report how it serves."""

from __future__ import annotations

from typing import Any

import kopf
from pydantic import ValidationError

from modelops import API_VERSION, GROUP, VERSION
from modelops.api.common import set_condition
from modelops.api.modeldeployment import ModelDeploymentSpec, ModelDeploymentStatus
from modelops.controllers import retraining
from modelops.controllers.context import (
    Context,
    describe,
    event,
    of,
    read_status,
    write_status,
)
from modelops.decide import modeldeployment as decide
from modelops.decide.children import covers, owned_by
from modelops.render import names, serving
from modelops.render.jobs import Owner

KIND = "ModelDeployment"


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    """Bring one ModelDeployment's serving objects and status in line with its spec."""
    async with ctx.reconciling(KIND, namespace, name):
        body = await ctx.kube.find(API_VERSION, KIND, namespace, name)
        if body is None or body["metadata"].get("deletionTimestamp"):
            await _release(ctx, namespace, name, keep=None)
            return
        await _reconcile(ctx, body)


async def _reconcile(ctx: Context, body: dict[str, Any]) -> None:
    meta = body["metadata"]
    namespace, name, generation = meta["namespace"], meta["name"], int(meta.get("generation", 1))
    status = read_status(ModelDeploymentStatus, body)
    try:
        spec = ModelDeploymentSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        conditions = set_condition(
            status.conditions,
            "Ready",
            False,
            "InvalidSpec",
            describe(error),
            now=ctx.now(),
            generation=generation,
        )
        await _write(ctx, body, status, status.model_copy(update={"conditions": conditions}))
        return

    owner = Owner(KIND, name, namespace, meta["uid"])
    versions = await ctx.kube.list(API_VERSION, "ModelVersion", namespace)
    found = decide.candidates(versions, spec.model)
    resolution = decide.resolve(spec, found)
    chosen = decide.plan(spec, status, resolution.version, found)

    stable = canary = None
    if chosen.stable is not None:
        await _ensure(ctx, serving.service(owner, spec, ctx.settings))
        await _ensure(ctx, serving.network_policy(owner, ctx.settings))
        stable = await _ensure(
            ctx,
            serving.deployment(
                owner, spec, chosen.stable.served, ctx.settings, chosen.stable_replicas
            ),
        )
        monitors = await ctx.kube.kind_exists("monitoring.coreos.com/v1", "ServiceMonitor")
        for key, rendered in serving.optional_children(owner, spec, monitors).items():
            if rendered is not None:
                await _ensure(ctx, rendered)
            else:
                await _absent(ctx, key, owner)
    canary_name = names.predictor(name, canary=True)
    if chosen.canary is not None:
        canary = await _ensure(
            ctx,
            serving.deployment(
                owner,
                spec,
                chosen.canary.served,
                ctx.settings,
                chosen.canary_replicas,
                serving.CANARY,
            ),
        )
    else:
        await _absent(ctx, ("apps/v1", "Deployment", canary_name), owner)

    url = f"http://{name}.{namespace}.svc.cluster.local/v2/models/{spec.model}"
    new = decide.serving_status(
        spec,
        status,
        chosen,
        resolution,
        stable,
        canary,
        url,
        serving.selector_string(owner),
        ctx.now(),
        generation,
    )
    new = await retraining.step(ctx, body, spec, new)
    await _write(ctx, body, status, new)
    labels = (namespace, name, spec.model)
    if new.current_version is not None:
        ctx.metrics.served_version.labels(*labels).set(new.current_version)
    ctx.metrics.ready_replicas.labels(*labels).set(new.ready_replicas)
    served = {c.name for c in (chosen.stable, chosen.canary) if c is not None}
    await _release(ctx, namespace, name, keep=served, versions=versions)


async def _ensure(ctx: Context, rendered: dict[str, Any]) -> dict[str, Any]:
    """Apply ``rendered`` unless the live object already matches it."""
    meta = rendered["metadata"]
    live = await ctx.kube.find(
        rendered["apiVersion"], rendered["kind"], meta["namespace"], meta["name"]
    )
    if live is not None and covers(live, rendered):
        return live
    return await ctx.kube.apply(rendered)


async def _absent(ctx: Context, key: serving.ChildKey, owner: Owner) -> None:
    """Delete the object ``key`` names if it exists and this ModelDeployment owns it.

    A read first: the usual answer is "not there", and a GET is the cheaper way to hear it.
    """
    api_version, kind, name = key
    live = await ctx.kube.find(api_version, kind, owner.namespace, name)
    if live is not None and owned_by(live, owner.uid):
        await ctx.kube.delete(api_version, kind, owner.namespace, name)


async def _release(
    ctx: Context,
    namespace: str,
    name: str,
    keep: set[str] | None,
    versions: list[dict[str, Any]] | None = None,
) -> None:
    """Keep ``status.deployedBy`` of the model's versions true: listed where served only.

    ``versions`` are the ModelVersions already read by this reconcile, if any.
    """
    if versions is None:
        versions = await ctx.kube.list(API_VERSION, "ModelVersion", namespace)
    for version in versions:
        version_name = version["metadata"]["name"]
        deployed = list((version.get("status") or {}).get("deployedBy") or [])
        serves = keep is not None and version_name in keep
        if serves and name not in deployed:
            deployed = sorted([*deployed, name])
        elif not serves and name in deployed:
            deployed = [d for d in deployed if d != name]
        else:
            continue
        await ctx.kube.patch(
            API_VERSION,
            "ModelVersion",
            namespace,
            version_name,
            {"status": {"deployedBy": deployed}},
            subresource="status",
        )


async def _write(
    ctx: Context, body: dict[str, Any], old: ModelDeploymentStatus, new: ModelDeploymentStatus
) -> None:
    if new == old:
        return
    await write_status(ctx, body, new.to_merge_patch())
    if new.current_version != old.current_version and new.current_version is not None:
        was = f" (was {old.current_version})" if old.current_version is not None else ""
        event(body, "VersionChanged", f"serving version {new.current_version}{was}")
    if new.canary_version != old.canary_version and new.canary_version is not None:
        event(body, "CanaryStarted", f"canary of version {new.canary_version}")


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

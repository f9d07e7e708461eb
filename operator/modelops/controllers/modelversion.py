"""The ModelVersion controller: a scan Job per version, then stages, one Production per model."""

from __future__ import annotations

from typing import Any

import kopf
from pydantic import ValidationError

from modelops import API_VERSION, GROUP, VERSION
from modelops.api.common import set_condition
from modelops.api.modelversion import ModelVersionSpec, ModelVersionStatus, Stage, VersionPhase
from modelops.controllers.context import (
    Context,
    describe,
    event,
    of,
    read_status,
    write_status,
)
from modelops.decide import jobs as job_reading
from modelops.decide import modelversion as decide
from modelops.kube import errors
from modelops.render import jobs, names

KIND = "ModelVersion"


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    """Scan a version once, then keep its stage in line with spec.stage."""
    async with ctx.reconciling(KIND, namespace, name):
        body = await ctx.kube.find(API_VERSION, KIND, namespace, name)
        if body is None or body["metadata"].get("deletionTimestamp"):
            return
        model = (body.get("spec") or {}).get("model", "")
        # Promotions of one model are serialised: exactly one Production version.
        async with ctx.lock("Model", namespace, model):
            await _reconcile(ctx, await ctx.kube.get(API_VERSION, KIND, namespace, name))


async def _reconcile(ctx: Context, body: dict[str, Any]) -> None:
    meta = body["metadata"]
    namespace, name, generation = meta["namespace"], meta["name"], int(meta.get("generation", 1))
    status = read_status(ModelVersionStatus, body)
    try:
        spec = ModelVersionSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        new = status.model_copy(
            update={
                "phase": VersionPhase.REJECTED,
                "message": describe(error),
                "conditions": set_condition(
                    status.conditions,
                    "Ready",
                    False,
                    "InvalidSpec",
                    describe(error),
                    now=ctx.now(),
                    generation=generation,
                ),
            }
        )
        await _write(ctx, body, status, new)
        return

    new = status
    if status.phase not in decide.TERMINAL:
        new = await _scan(ctx, body, spec, status, generation)
    new = decide.stage_status(spec, new, ctx.now(), generation)
    if new.stage == Stage.PRODUCTION and status.stage != Stage.PRODUCTION:
        await _archive_others(ctx, namespace, spec.model, name)
    new = new.model_copy(update={"observed_generation": generation})
    await _write(ctx, body, status, new)


async def _scan(
    ctx: Context,
    body: dict[str, Any],
    spec: ModelVersionSpec,
    status: ModelVersionStatus,
    generation: int,
) -> ModelVersionStatus:
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    job_name = names.scan_job(name)
    job = await ctx.kube.find("batch/v1", "Job", namespace, job_name)
    if job is None:
        champion = await _champion(ctx, namespace, spec.model, name)
        owner = jobs.Owner(KIND, name, namespace, meta["uid"])
        rendered = jobs.scan_job(owner, spec, ctx.settings, champion)
        try:
            job = await ctx.kube.create(rendered)
            detail = f" against champion {champion.name}" if champion else ""
            event(body, "ScanStarted", f"created scan Job {job_name}{detail}")
        except errors.AlreadyExists:
            job = await ctx.kube.get("batch/v1", "Job", namespace, job_name)
    state = job_reading.job_state(job)
    summary = None
    if state.outcome in ("Succeeded", "Failed"):
        pods = await ctx.kube.list(
            "v1",
            "Pod",
            namespace,
            labels={names.MODEL_VERSION: names.label_value(name), names.COMPONENT: "scanner"},
        )
        summary = job_reading.termination_summary(pods)
    return decide.scan_status(spec, status, job_name, state, summary, ctx.now(), generation)


async def _champion(
    ctx: Context, namespace: str, model: str, candidate: str
) -> jobs.Champion | None:
    for version in await ctx.kube.list(API_VERSION, KIND, namespace):
        spec, status = version.get("spec") or {}, version.get("status") or {}
        if (
            spec.get("model") == model
            and version["metadata"]["name"] != candidate
            and status.get("stage") == Stage.PRODUCTION
        ):
            return jobs.Champion(
                name=version["metadata"]["name"],
                artifact_uri=spec["artifactUri"],
                digest=spec["digest"],
            )
    return None


async def _archive_others(ctx: Context, namespace: str, model: str, promoted: str) -> None:
    for version in await ctx.kube.list(API_VERSION, KIND, namespace):
        spec, status = version.get("spec") or {}, version.get("status") or {}
        other = version["metadata"]["name"]
        if spec.get("model") != model or other == promoted:
            continue
        if spec.get("stage") == Stage.PRODUCTION or status.get("stage") == Stage.PRODUCTION:
            await ctx.kube.patch(
                API_VERSION, KIND, namespace, other, {"spec": {"stage": "Archived"}}
            )
            await ctx.kube.patch(
                API_VERSION,
                KIND,
                namespace,
                other,
                {"status": {"stage": "Archived"}},
                subresource="status",
            )
            event(
                {**version, "apiVersion": API_VERSION, "kind": KIND},
                "Archived",
                f"archived: {promoted} is now in Production",
            )


async def _write(
    ctx: Context, body: dict[str, Any], old: ModelVersionStatus, new: ModelVersionStatus
) -> None:
    if new == old:
        return
    status = new.to_merge_patch()
    # deployedBy belongs to the ModelDeployment controller; never write a stale copy of it.
    del status["deployedBy"]
    await write_status(ctx, body, status)
    if new.phase != old.phase and new.phase in decide.TERMINAL:
        ctx.metrics.scans.labels(str(new.phase)).inc()
        rejected = new.phase == VersionPhase.REJECTED
        event(body, str(new.phase), new.message or str(new.phase), warning=rejected)
    if new.stage != old.stage:
        event(body, "StageChanged", f"stage {old.stage} -> {new.stage}")


@kopf.on.event(GROUP, VERSION, "modelversions")
async def on_model_version(
    type: str, name: str, namespace: str | None, memo: Any, **_: Any
) -> None:
    if type != "DELETED":
        await reconcile(of(memo), namespace or "", name)


@kopf.on.event("batch", "v1", "jobs", labels={names.COMPONENT: "scanner"})
async def on_scan_job(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    for ref in body.metadata.get("ownerReferences") or []:
        if ref.get("kind") == KIND and ref.get("apiVersion") == API_VERSION:
            await reconcile(of(memo), namespace or "", ref["name"])


def _unsettled(spec: kopf.Spec, status: kopf.Status, **_: Any) -> bool:
    return status.get("phase") not in ("Validated", "Rejected") or spec.get("stage") != status.get(
        "stage"
    )


@kopf.timer(
    GROUP, VERSION, "modelversions", interval=10.0, initial_delay=5.0, when=_unsettled, backoff=5.0
)
async def resync_model_version(name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    await reconcile(of(memo), namespace or "", name)

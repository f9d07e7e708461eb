"""The TrainingRun controller: one Job per run, status from the Job, a ModelVersion on success."""

from __future__ import annotations

from typing import Any

import kopf
from pydantic import ValidationError

from modelops import API_VERSION, GROUP, VERSION
from modelops.api.trainingrun import TrainingPhase, TrainingRunSpec, TrainingRunStatus
from modelops.controllers.context import (
    Context,
    describe,
    event,
    of,
    read_status,
    write_status,
)
from modelops.decide import jobs as job_reading
from modelops.decide import trainingrun as decide
from modelops.decide.versions import next_version
from modelops.kube import errors
from modelops.render import jobs, names, registry

KIND = "TrainingRun"


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    """Bring one TrainingRun's Job, status and ModelVersion in line with its spec."""
    async with ctx.reconciling(KIND, namespace, name):
        body = await ctx.kube.find(API_VERSION, KIND, namespace, name)
        if body is None or body["metadata"].get("deletionTimestamp"):
            return
        await _reconcile(ctx, body)


async def _reconcile(ctx: Context, body: dict[str, Any]) -> None:
    meta = body["metadata"]
    namespace, name, generation = meta["namespace"], meta["name"], int(meta.get("generation", 1))
    status = read_status(TrainingRunStatus, body)
    if decide.is_terminal(status) and (
        status.phase == TrainingPhase.FAILED or status.model_version
    ):
        return
    try:
        spec = TrainingRunSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        await _write(
            ctx, body, status, decide.invalid(status, describe(error), ctx.now(), generation)
        )
        return

    owner = jobs.Owner(KIND, name, namespace, meta["uid"])
    job_name = names.training_job(name)
    job = await ctx.kube.find("batch/v1", "Job", namespace, job_name)
    if job is None and not decide.is_terminal(status):
        job = await _create_job(ctx, body, jobs.training_job(owner, spec, ctx.settings))
    elif job is not None and bool(job["spec"].get("suspend")) != spec.suspend:
        job = await ctx.kube.patch(
            "batch/v1", "Job", namespace, job_name, {"spec": {"suspend": spec.suspend}}
        )

    state = job_reading.job_state(job) if job is not None else None
    summary = None
    if state is not None and state.outcome in ("Succeeded", "Failed"):
        pods = await ctx.kube.list(
            "v1",
            "Pod",
            namespace,
            labels={names.TRAINING_RUN: names.label_value(name), names.COMPONENT: "trainer"},
        )
        summary = job_reading.termination_summary(pods)
    artifact = jobs.artifact_uri(spec, name, ctx.settings)
    new = decide.training_status(status, job_name, state, summary, artifact, ctx.now(), generation)
    if new.phase == TrainingPhase.SUCCEEDED and new.model_version is None and summary:
        version = await _register(ctx, namespace, name, spec, summary)
        new = new.model_copy(update={"model_version": version})
        event(body, "Registered", f"registered ModelVersion {version}")
    await _write(ctx, body, status, new)


async def _create_job(ctx: Context, body: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    meta = job["metadata"]
    try:
        created = await ctx.kube.create(job)
    except errors.AlreadyExists:
        return await ctx.kube.get("batch/v1", "Job", meta["namespace"], meta["name"])
    event(body, "JobCreated", f"created Job {meta['name']}")
    return created


async def _register(
    ctx: Context, namespace: str, run: str, spec: TrainingRunSpec, summary: dict[str, Any]
) -> str:
    """Create the run's ModelVersion once; concurrent runs never share a number."""
    versions = await ctx.kube.list(API_VERSION, "ModelVersion", namespace)
    same_model = [v for v in versions if (v.get("spec") or {}).get("model") == spec.model]
    for version in same_model:
        if (version["metadata"].get("labels") or {}).get(names.TRAINING_RUN) == names.label_value(
            run
        ):
            return str(version["metadata"]["name"])
    number = next_version(int(v["spec"]["version"]) for v in same_model)
    while True:
        obj = registry.registered_version(run, namespace, spec, summary, number)
        try:
            await ctx.kube.create(obj)
        except errors.AlreadyExists:
            number += 1
            continue
        return str(obj["metadata"]["name"])


async def _write(
    ctx: Context, body: dict[str, Any], old: TrainingRunStatus, new: TrainingRunStatus
) -> None:
    if new == old:
        return
    await write_status(ctx, body, new.to_merge_patch())
    if new.phase != old.phase and decide.is_terminal(new):
        ctx.metrics.training_runs.labels(str(new.phase)).inc()
        if new.phase == TrainingPhase.SUCCEEDED and new.start_time and new.completion_time:
            elapsed = (new.completion_time - new.start_time).total_seconds()
            ctx.metrics.training_seconds.observe(elapsed)
    if new.phase != old.phase:
        failed = new.phase == TrainingPhase.FAILED
        detail = f": {new.message}" if new.message else ""
        event(body, str(new.phase), f"phase {old.phase} -> {new.phase}{detail}", warning=failed)


@kopf.on.event(GROUP, VERSION, "trainingruns")
async def on_training_run(type: str, name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    if type != "DELETED":
        await reconcile(of(memo), namespace or "", name)


@kopf.on.event("batch", "v1", "jobs", labels={names.COMPONENT: "trainer"})
async def on_training_job(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    for ref in body.metadata.get("ownerReferences") or []:
        if ref.get("kind") == KIND and ref.get("apiVersion") == API_VERSION:
            await reconcile(of(memo), namespace or "", ref["name"])


def _unfinished(status: kopf.Status, **_: Any) -> bool:
    return status.get("phase") not in ("Succeeded", "Failed") or (
        status.get("phase") == "Succeeded" and not status.get("modelVersion")
    )


@kopf.timer(
    GROUP, VERSION, "trainingruns", interval=10.0, initial_delay=5.0, when=_unfinished, backoff=5.0
)
async def resync_training_run(name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    await reconcile(of(memo), namespace or "", name)

"""The TrainingRun controller: reads the run, its Job, pods and versions; the planner decides."""

from __future__ import annotations

from typing import Any

import kopf

from modelops import API_VERSION, GROUP, VERSION
from modelops.api.common import status_of
from modelops.api.trainingrun import TrainingPhase, TrainingRunStatus
from modelops.controllers import skeleton
from modelops.controllers.context import Context, of
from modelops.decide import jobstatus
from modelops.decide import trainingrun as decide
from modelops.render import names
from modelops.structs import Obj


async def read(ctx: Context, namespace: str, name: str, body: Obj | None) -> decide.Observed:
    if body is None:
        return decide.Observed(None)
    if decide.settled(status_of(TrainingRunStatus, body)):
        return decide.Observed(body)  # nothing else to read
    job = await ctx.kube.find("batch/v1", "Job", namespace, names.training_job(name))
    pods: list[Obj] = []
    versions: list[Obj] = []
    if jobstatus.ended(job):
        labels = {names.TRAINING_RUN: names.label_value(name), names.COMPONENT: "trainer"}
        pods = await ctx.kube.list("v1", "Pod", namespace, labels=labels)
        versions = await ctx.kube.list(API_VERSION, "ModelVersion", namespace)
    return decide.Observed(body, job, pods, versions)


def observe(ctx: Context, body: Obj, old: TrainingRunStatus, new: TrainingRunStatus) -> None:
    if new.phase == old.phase or not decide.is_terminal(new):
        return
    ctx.metrics.training_runs.labels(str(new.phase)).inc()
    if new.phase == TrainingPhase.SUCCEEDED and new.start_time and new.completion_time:
        ctx.metrics.training_seconds.observe((new.completion_time - new.start_time).total_seconds())


KIND = skeleton.Kind(
    name="TrainingRun",
    read=read,
    plan=decide.plan,
    status_of=lambda body: status_of(TrainingRunStatus, body),
    status_patch=lambda status: status.to_merge_patch(),
    observe=observe,
)


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    await skeleton.reconcile(ctx, KIND, namespace, name)


@kopf.on.event(GROUP, VERSION, "trainingruns")
async def on_training_run(type: str, name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    if type != "DELETED":
        await reconcile(of(memo), namespace or "", name)


@kopf.on.event("batch", "v1", "jobs", labels={names.COMPONENT: "trainer"})
async def on_training_job(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    for ref in body.metadata.get("ownerReferences") or []:
        if ref.get("kind") == KIND.name and ref.get("apiVersion") == API_VERSION:
            await reconcile(of(memo), namespace or "", ref["name"])


def _unfinished(body: kopf.Body, **_: Any) -> bool:
    return not decide.settled(status_of(TrainingRunStatus, dict(body)))


@kopf.timer(
    GROUP, VERSION, "trainingruns", interval=10.0, initial_delay=5.0, when=_unfinished, backoff=5.0
)
async def resync_training_run(name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    await reconcile(of(memo), namespace or "", name)

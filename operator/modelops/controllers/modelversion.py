"""The ModelVersion controller: reads the version, its scan Job and pods, the model's versions."""

from __future__ import annotations

from typing import Any

import kopf

from modelops import API_VERSION, GROUP, VERSION
from modelops.api.common import status_of
from modelops.api.modelversion import ModelVersionStatus
from modelops.controllers import skeleton
from modelops.controllers.context import Context, of
from modelops.decide import jobstatus
from modelops.decide import modelversion as decide
from modelops.render import names
from modelops.structs import Obj


async def read(ctx: Context, namespace: str, name: str, body: Obj | None) -> decide.Observed:
    if body is None:
        return decide.Observed(None)
    job = await ctx.kube.find("batch/v1", "Job", namespace, names.scan_job(name))
    pods: list[Obj] = []
    if jobstatus.ended(job):
        labels = {names.MODEL_VERSION: names.label_value(name), names.COMPONENT: "scanner"}
        pods = await ctx.kube.list("v1", "Pod", namespace, labels=labels)
    versions = await ctx.kube.list(API_VERSION, decide.KIND, namespace)
    return decide.Observed(body, job, pods, versions)


def observe(ctx: Context, body: Obj, old: ModelVersionStatus, new: ModelVersionStatus) -> None:
    if new.phase != old.phase and new.phase in decide.TERMINAL:
        ctx.metrics.scans.labels(str(new.phase)).inc()


KIND = skeleton.Kind(
    name=decide.KIND,
    read=read,
    plan=decide.plan,
    status_of=lambda body: status_of(ModelVersionStatus, body),
    status_patch=decide.status_patch,
    observe=observe,
    # Promotions of one model are serialised: exactly one Production version.
    serialise_by=lambda body: str((body.get("spec") or {}).get("model", "")),
)


async def reconcile(ctx: Context, namespace: str, name: str) -> None:
    await skeleton.reconcile(ctx, KIND, namespace, name)


@kopf.on.event(GROUP, VERSION, "modelversions")
async def on_model_version(
    type: str, name: str, namespace: str | None, memo: Any, **_: Any
) -> None:
    if type != "DELETED":
        await reconcile(of(memo), namespace or "", name)


@kopf.on.event("batch", "v1", "jobs", labels={names.COMPONENT: "scanner"})
async def on_scan_job(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    for ref in body.metadata.get("ownerReferences") or []:
        if ref.get("kind") == KIND.name and ref.get("apiVersion") == API_VERSION:
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

"""The TrainingRun controller against a real API server: create, update, conflict, delete."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION
from modelops.controllers import trainingrun
from modelops.kube.client import Kube

from .conftest import NS, Harness

RUN = {
    "apiVersion": API_VERSION,
    "kind": "TrainingRun",
    "metadata": {"name": "r", "namespace": NS},
    "spec": {
        "model": "alpha",
        "dataset": {"uri": "builtin://iris", "target": "target"},
        "estimator": {"name": "LogisticRegression"},
    },
}
SUMMARY = {
    "ok": True,
    "metrics": {"accuracy": 0.95},
    "keyMetric": "accuracy=0.9500",
    "artifactUri": "file:///artifacts/ml/alpha/r",
    "digest": "sha256:" + "b" * 64,
}


async def _status(h: Harness, name: str = "r") -> dict[str, Any]:
    body = await h.kube.get(API_VERSION, "TrainingRun", NS, name)
    return dict(body.get("status") or {})


async def test_a_new_run_gets_its_job_and_a_pending_status(harness: Harness) -> None:
    await harness.kube.create(RUN)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    job = await harness.kube.get("batch/v1", "Job", NS, "r-train")
    assert job["metadata"]["ownerReferences"][0]["name"] == "r"
    assert (await _status(harness))["phase"] == "Pending"
    assert harness.reasons() == ["JobCreated"]
    await trainingrun.reconcile(harness.ctx, NS, "r")
    assert harness.reasons() == ["JobCreated"], "a second reconcile creates nothing more"


async def test_a_finished_job_registers_a_version_once(harness: Harness) -> None:
    await harness.kube.create(RUN)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    await harness.finish_job("r-train", "Complete", SUMMARY)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    await trainingrun.reconcile(harness.ctx, NS, "r")
    status = await _status(harness)
    assert (status["phase"], status["modelVersion"]) == ("Succeeded", "alpha-v1")
    versions = await harness.kube.list(API_VERSION, "ModelVersion", NS)
    assert [v["metadata"]["name"] for v in versions] == ["alpha-v1"]
    assert versions[0]["spec"]["digest"] == SUMMARY["digest"]


async def test_suspending_the_run_suspends_its_job(harness: Harness) -> None:
    await harness.kube.create(RUN)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    await harness.kube.patch(API_VERSION, "TrainingRun", NS, "r", {"spec": {"suspend": True}})
    await trainingrun.reconcile(harness.ctx, NS, "r")
    job = await harness.kube.get("batch/v1", "Job", NS, "r-train")
    assert job["spec"]["suspend"] is True


class _RacingKube(Kube):
    """Another run registers its version just before this one creates its own."""

    raced = False

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["kind"] == "ModelVersion" and not self.raced:
            self.raced = True
            rival = {**obj, "metadata": {**obj["metadata"], "labels": {}}}
            await super().create(rival)
        return await super().create(obj)


async def test_a_version_number_taken_meanwhile_is_replanned_not_lost(harness: Harness) -> None:
    await harness.kube.create(RUN)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    await harness.finish_job("r-train", "Complete", SUMMARY)
    racing = _RacingKube(harness.kube._session, harness.kube._server)
    harness.ctx.kube = racing
    await trainingrun.reconcile(harness.ctx, NS, "r")
    assert racing.raced
    assert (await _status(harness))["modelVersion"] == "alpha-v2"
    names = sorted(
        v["metadata"]["name"] for v in await racing.list(API_VERSION, "ModelVersion", NS)
    )
    assert names == ["alpha-v1", "alpha-v2"]


async def test_a_job_name_someone_else_took_is_a_conflict_not_a_takeover(harness: Harness) -> None:
    squatter = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "r-train", "namespace": NS},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "x", "image": "busybox"}],
                }
            }
        },
    }
    await harness.kube.create(squatter)
    await harness.kube.create(RUN)
    await trainingrun.reconcile(harness.ctx, NS, "r")
    ready = next(c for c in (await _status(harness))["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "Conflict"
    job = await harness.kube.get("batch/v1", "Job", NS, "r-train")
    assert not job["metadata"].get("ownerReferences")


async def test_a_deleted_run_is_a_quiet_no_op(harness: Harness) -> None:
    await trainingrun.reconcile(harness.ctx, NS, "gone")
    assert harness.events == []

"""The ModelVersion controller against a real API server: scan, verdict, stages, conflicts."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION
from modelops.controllers import modelversion

from .conftest import NS, Harness

DIGEST = "sha256:" + "a" * 64
PASSED = {"ok": True, "passed": True, "metrics": {"accuracy": 0.9}, "blocking": []}


def version(name: str, number: int, model: str = "alpha", stage: str = "None") -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelVersion",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "model": model,
            "version": number,
            "task": "classification",
            "artifactUri": f"file:///artifacts/{NS}/{model}/{name}",
            "digest": DIGEST,
            "stage": stage,
        },
    }


async def _status(h: Harness, name: str) -> dict[str, Any]:
    return dict((await h.kube.get(API_VERSION, "ModelVersion", NS, name)).get("status") or {})


async def _validated(h: Harness, name: str, number: int, model: str = "alpha") -> None:
    await h.kube.create(version(name, number, model))
    await modelversion.reconcile(h.ctx, NS, name)
    await h.finish_job(f"{name}-scan", "Complete", PASSED)
    await modelversion.reconcile(h.ctx, NS, name)
    assert (await _status(h, name))["phase"] == "Validated"


async def test_a_version_is_scanned_then_validated(harness: Harness) -> None:
    await harness.kube.create(version("alpha-v1", 1))
    await modelversion.reconcile(harness.ctx, NS, "alpha-v1")
    assert (await _status(harness, "alpha-v1"))["phase"] == "Validating"
    job = await harness.kube.get("batch/v1", "Job", NS, "alpha-v1-scan")
    assert job["metadata"]["ownerReferences"][0]["name"] == "alpha-v1"
    await harness.finish_job("alpha-v1-scan", "Complete", PASSED)
    await modelversion.reconcile(harness.ctx, NS, "alpha-v1")
    assert (await _status(harness, "alpha-v1"))["phase"] == "Validated"
    assert harness.reasons() == ["ScanStarted", "Validated"]


async def test_a_status_written_by_hand_is_not_a_verdict(harness: Harness) -> None:
    await harness.kube.create(version("alpha-v1", 1))
    await harness.kube.patch(
        API_VERSION,
        "ModelVersion",
        NS,
        "alpha-v1",
        {"status": {"phase": "Validated"}},
        subresource="status",
    )
    await modelversion.reconcile(harness.ctx, NS, "alpha-v1")
    assert (await _status(harness, "alpha-v1"))["phase"] == "Validating"
    assert await harness.kube.find("batch/v1", "Job", NS, "alpha-v1-scan") is not None


async def test_promotion_archives_the_same_models_production_version_only(
    harness: Harness,
) -> None:
    await _validated(harness, "alpha-v1", 1)
    await _validated(harness, "beta-v1", 1, model="beta")
    await _validated(harness, "alpha-v2", 2)
    for name in ("alpha-v1", "beta-v1"):
        await harness.kube.patch(
            API_VERSION, "ModelVersion", NS, name, {"spec": {"stage": "Production"}}
        )
        await modelversion.reconcile(harness.ctx, NS, name)
    await harness.kube.patch(
        API_VERSION, "ModelVersion", NS, "alpha-v2", {"spec": {"stage": "Production"}}
    )
    await modelversion.reconcile(harness.ctx, NS, "alpha-v2")
    stages = {n: (await _status(harness, n))["stage"] for n in ("alpha-v1", "alpha-v2", "beta-v1")}
    assert stages == {"alpha-v1": "Archived", "alpha-v2": "Production", "beta-v1": "Production"}


async def test_a_scan_job_name_someone_else_took_is_a_conflict(harness: Harness) -> None:
    squatter = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "alpha-v1-scan", "namespace": NS},
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
    await harness.kube.create(version("alpha-v1", 1))
    await modelversion.reconcile(harness.ctx, NS, "alpha-v1")
    status = await _status(harness, "alpha-v1")
    assert status["phase"] == "Pending"
    assert next(c for c in status["conditions"] if c["type"] == "Validated")["reason"] == "Conflict"


async def test_a_deleted_version_is_a_quiet_no_op(harness: Harness) -> None:
    await modelversion.reconcile(harness.ctx, NS, "gone")
    assert harness.events == []

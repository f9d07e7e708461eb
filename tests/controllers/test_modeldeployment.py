"""The ModelDeployment controller against a real API server: serve, update, conflict, delete."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION
from modelops.controllers import modeldeployment, modelversion

from .conftest import NS, Harness
from .test_modelversion import PASSED, version

DEPLOYMENT = {
    "apiVersion": API_VERSION,
    "kind": "ModelDeployment",
    "metadata": {"name": "alpha", "namespace": NS},
    "spec": {"model": "alpha", "replicas": 2},
}


async def _validated(h: Harness, name: str = "alpha-v1", number: int = 1) -> None:
    await h.kube.create(version(name, number))
    await modelversion.reconcile(h.ctx, NS, name)
    await h.finish_job(f"{name}-scan", "Complete", PASSED)
    await modelversion.reconcile(h.ctx, NS, name)


async def _status(h: Harness) -> dict[str, Any]:
    return dict((await h.kube.get(API_VERSION, "ModelDeployment", NS, "alpha")).get("status") or {})


async def test_a_validated_version_is_served_and_recorded_on_the_version(harness: Harness) -> None:
    h = harness
    await _validated(h)
    await h.kube.create(DEPLOYMENT)
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    predictor = await h.kube.get("apps/v1", "Deployment", NS, "alpha-predictor")
    assert predictor["spec"]["replicas"] == 2
    assert await h.kube.find("v1", "Service", NS, "alpha") is not None
    assert (await _status(h))["currentVersion"] == 1
    served = await h.kube.get(API_VERSION, "ModelVersion", NS, "alpha-v1")
    assert served["status"]["deployedBy"] == ["alpha"]
    assert "VersionChanged" in h.reasons()


async def test_a_new_replica_count_reaches_the_deployment(harness: Harness) -> None:
    h = harness
    await _validated(h)
    await h.kube.create(DEPLOYMENT)
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    await h.kube.patch(API_VERSION, "ModelDeployment", NS, "alpha", {"spec": {"replicas": 3}})
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    predictor = await h.kube.get("apps/v1", "Deployment", NS, "alpha-predictor")
    assert predictor["spec"]["replicas"] == 3


async def test_a_service_it_does_not_own_is_never_taken_over(harness: Harness) -> None:
    h = harness
    theirs = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "alpha", "namespace": NS},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 443, "targetPort": 8443}]},
    }
    await h.kube.create(theirs)
    await _validated(h)
    await h.kube.create(DEPLOYMENT)
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    service = await h.kube.get("v1", "Service", NS, "alpha")
    assert service["spec"]["selector"] == {"app": "web"}
    assert [p["port"] for p in service["spec"]["ports"]] == [443]
    assert not service["metadata"].get("ownerReferences")
    ready = next(c for c in (await _status(h))["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "Conflict"
    assert "Service alpha" in ready["message"]


async def test_deleting_the_deployment_takes_it_off_the_version(harness: Harness) -> None:
    h = harness
    await _validated(h)
    await h.kube.create(DEPLOYMENT)
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    await h.kube.delete(API_VERSION, "ModelDeployment", NS, "alpha")
    await modeldeployment.reconcile(h.ctx, NS, "alpha")
    served = await h.kube.get(API_VERSION, "ModelVersion", NS, "alpha-v1")
    assert served["status"]["deployedBy"] == []

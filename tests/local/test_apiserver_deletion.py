"""Deletion as Kubernetes does it: graceful pods, foreground propagation, CRDs that finish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config

from .conftest import Api, load_fixture

PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.dev/v1/namespaces/default/widgets"

Obj = dict[str, Any]


def pod(name: str, node: str | None = "local") -> Obj:
    spec: Obj = {"containers": [{"name": "main", "image": "x"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name}, "spec": spec}


def owned_by(owner: Obj) -> list[Obj]:
    meta = owner["metadata"]
    return [{"apiVersion": "v1", "kind": "ConfigMap", "name": meta["name"], "uid": meta["uid"]}]


async def test_a_scheduled_pod_terminates_gracefully_until_its_kubelet_confirms(api: Api) -> None:
    await api.ok("POST", PODS, pod("p"))
    answer = await api.ok("DELETE", f"{PODS}/p")
    assert answer["kind"] == "Pod"
    assert answer["metadata"]["deletionTimestamp"]
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30
    assert (await api.ok("GET", f"{PODS}/p"))["metadata"]["deletionTimestamp"]
    confirmed = await api.ok("DELETE", f"{PODS}/p", {"gracePeriodSeconds": 0})
    assert confirmed["kind"] == "Pod"
    assert (await api.call("GET", f"{PODS}/p"))[0] == 404


async def test_an_unscheduled_pod_goes_at_once(api: Api) -> None:
    await api.ok("POST", PODS, pod("p", node=None))
    answer = await api.ok("DELETE", f"{PODS}/p")
    assert answer["kind"] == "Pod"
    assert (await api.call("GET", f"{PODS}/p"))[0] == 404


def test_the_kubernetes_client_parses_a_deleted_pod_and_service(kubeconfig: Path) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    core.create_namespaced_pod("default", pod("p"))
    deleted = core.delete_namespaced_pod("p", "default")
    assert isinstance(deleted, client.V1Pod)
    assert deleted.metadata.deletion_timestamp is not None
    core.create_namespaced_service("default", {"metadata": {"name": "s"}, "spec": {"ports": []}})
    assert isinstance(core.delete_namespaced_service("s", "default"), client.V1Service)


async def test_foreground_deletion_removes_the_owner_after_its_dependents(api: Api) -> None:
    owner = await api.ok("POST", CMS, {"metadata": {"name": "owner"}})
    await api.ok(
        "POST",
        CMS,
        {"metadata": {"name": "child", "finalizers": ["x/y"], "ownerReferences": owned_by(owner)}},
    )
    marked = await api.ok("DELETE", f"{CMS}/owner", {"propagationPolicy": "Foreground"})
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert marked["metadata"]["deletionTimestamp"]
    child = await api.ok("GET", f"{CMS}/child")
    assert child["metadata"]["deletionTimestamp"]
    assert (await api.call("GET", f"{CMS}/owner"))[0] == 200
    await api.ok(
        "PATCH",
        f"{CMS}/child",
        [{"op": "remove", "path": "/metadata/finalizers"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert (await api.call("GET", f"{CMS}/child"))[0] == 404
    assert (await api.call("GET", f"{CMS}/owner"))[0] == 404


async def test_deleting_a_crd_finishes_once_its_namespaced_objects_are_gone(api: Api) -> None:
    await api.ok("POST", CRDS, load_fixture("widgets.example.dev.yaml"))
    widget = load_fixture("widget.yaml")
    widget["metadata"]["finalizers"] = ["example.dev/cleanup"]
    await api.ok("POST", WIDGETS, widget)
    crd = await api.ok("DELETE", f"{CRDS}/widgets.example.dev")
    assert crd["metadata"]["deletionTimestamp"]
    await api.ok(
        "PATCH",
        f"{WIDGETS}/w1",
        {"metadata": {"finalizers": None}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert (await api.call("GET", f"{CRDS}/widgets.example.dev"))[0] == 404

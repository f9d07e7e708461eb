"""Services get their defaults, and Endpoints and EndpointSlices follow their ready pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config

from .conftest import Api

SVCS = "/api/v1/namespaces/default/services"
PODS = "/api/v1/namespaces/default/pods"
ENDPOINTS = "/api/v1/namespaces/default/endpoints"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
MERGE = {"Content-Type": "application/merge-patch+json"}

Obj = dict[str, Any]


def service(name: str, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}], **spec},
    }


def pod(name: str, app: str) -> Obj:
    container = {"name": "main", "image": "x", "ports": [{"name": "web", "containerPort": 8080}]}
    return {
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"nodeName": "local", "containers": [container]},
    }


async def make_ready(api: Api, name: str, ready: bool = True) -> None:
    status = {
        "phase": "Running",
        "podIP": "127.0.0.1",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    await api.ok("PATCH", f"{PODS}/{name}/status", {"status": status}, headers=MERGE)


async def test_a_service_gets_a_cluster_ip_type_protocol_and_target_port(api: Api) -> None:
    first = await api.ok("POST", SVCS, service("web"))
    second = await api.ok("POST", SVCS, service("api"))
    spec = first["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["clusterIP"].startswith("10.")
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["clusterIP"] != second["spec"]["clusterIP"]
    assert spec["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["sessionAffinity"] == "None"
    assert first["status"] == {"loadBalancer": {}}
    relabelled = await api.ok(
        "PATCH", f"{SVCS}/web", {"metadata": {"labels": {"a": "b"}}}, headers=MERGE
    )
    assert relabelled["spec"]["clusterIP"] == spec["clusterIP"]
    headless = await api.ok("POST", SVCS, service("headless", clusterIP="None"))
    assert headless["spec"]["clusterIP"] == "None"


async def test_endpoints_list_ready_pods_and_follow_their_readiness(api: Api) -> None:
    await api.ok(
        "POST", SVCS, service("web", ports=[{"name": "http", "port": 80, "targetPort": "web"}])
    )
    await api.ok("POST", PODS, pod("web-1", "web"))
    await api.ok("POST", PODS, pod("other", "other"))
    await make_ready(api, "web-1")
    endpoints = await api.ok("GET", f"{ENDPOINTS}/web")
    (subset,) = endpoints["subsets"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-1"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    slices = await api.ok("GET", f"{SLICES}?labelSelector=kubernetes.io/service-name%3Dweb")
    (endpoint,) = slices["items"][0]["endpoints"]
    assert endpoint["conditions"]["ready"] is True
    assert endpoint["targetRef"]["name"] == "web-1"

    await make_ready(api, "web-1", ready=False)
    (subset,) = (await api.ok("GET", f"{ENDPOINTS}/web"))["subsets"]
    assert "addresses" not in subset
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["web-1"]

    await api.ok("DELETE", f"{PODS}/web-1?gracePeriodSeconds=0")
    assert "subsets" not in await api.ok("GET", f"{ENDPOINTS}/web")
    await api.ok("DELETE", f"{SVCS}/web")
    assert (await api.call("GET", f"{ENDPOINTS}/web"))[0] == 404
    assert (await api.ok("GET", SLICES))["items"] == []


def test_the_kubernetes_client_reads_service_defaults_and_endpoints(
    kubeconfig: Path,
) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    created = core.create_namespaced_service(
        "default",
        client.V1Service(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1ServiceSpec(
                selector={"app": "web"}, ports=[client.V1ServicePort(port=80)]
            ),
        ),
    )
    assert created.spec.cluster_ip
    assert created.spec.ports[0].protocol == "TCP"
    assert created.spec.ports[0].target_port == 80
    assert core.read_namespaced_endpoints("web", "default").metadata.name == "web"

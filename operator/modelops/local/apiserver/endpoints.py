"""The Endpoints and EndpointSlice a Service's selector and its pods make, pure.

In Kubernetes the endpoints and endpointslice controllers keep, for every Service with a
selector, an Endpoints object of the same name and an EndpointSlice labelled
`kubernetes.io/service-name`, listing the matching pods' addresses: ready pods as
addresses (slice condition `ready`), others as not-ready, terminating ones flagged so.
Tools such as `kubectl describe svc`, Prometheus' kubernetes_sd and service meshes read
them. The embedded API recomputes both whenever a pod or the Service is written.
"""

from __future__ import annotations

import hashlib
from typing import Any

Obj = dict[str, Any]
Child = tuple[tuple[str, str], Obj]
"""((API group, plural), object) of one object a Service's endpoints consist of."""

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
ENDPOINTS = ("", "endpoints")
SLICES = ("discovery.k8s.io", "endpointslices")


def selects(service: Obj, pod: Obj) -> bool:
    """Whether `service`'s selector picks `pod` (a Service without a selector picks none)."""
    selector = (service.get("spec") or {}).get("selector") or {}
    labels = pod["metadata"].get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _ip(pod: Obj) -> str | None:
    ip = (pod.get("status") or {}).get("podIP")
    return str(ip) if ip else None


def _target_port(port: Obj, pod: Obj) -> int | None:
    """A Service port's targetPort on `pod`: a number, or a container port's name."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target:
                return int(declared["containerPort"])
    return None


def _ports(service: Obj, pods: list[Obj]) -> list[Obj]:
    ports = []
    for port in (service.get("spec") or {}).get("ports") or []:
        number = next((n for p in pods if (n := _target_port(port, p)) is not None), None)
        if number is None:
            number = port.get("targetPort") if isinstance(port.get("targetPort"), int) else None
        if number is None:
            continue
        entry: Obj = {"port": number, "protocol": port.get("protocol", "TCP")}
        if port.get("name"):
            entry["name"] = port["name"]
        ports.append(entry)
    return ports


def _target_ref(pod: Obj) -> Obj:
    meta = pod["metadata"]
    return {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]}


def endpoints_object(service: Obj, pods: list[Obj]) -> Obj:
    """The v1 Endpoints of `service` over its selected `pods`."""
    meta = service["metadata"]
    addresses: list[Obj] = []
    not_ready: list[Obj] = []
    for pod in pods:
        ip = _ip(pod)
        if ip is None:
            continue
        address: Obj = {"ip": ip, "targetRef": _target_ref(pod)}
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            address["nodeName"] = node
        ready = _ready(pod) and not pod["metadata"].get("deletionTimestamp")
        (addresses if ready else not_ready).append(address)
    subset: Obj = {}
    if addresses:
        subset["addresses"] = addresses
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    body: Obj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "labels": dict(meta.get("labels") or {}),
        },
    }
    if subset:
        subset["ports"] = _ports(service, pods)
        body["subsets"] = [subset]
    return body


def slice_name(service: Obj) -> str:
    digest = hashlib.sha256(service["metadata"]["uid"].encode()).hexdigest()[:5]
    return f"{service['metadata']['name']}-{digest}"


def endpoint_slice(service: Obj, pods: list[Obj]) -> Obj:
    """The discovery.k8s.io/v1 EndpointSlice of `service`, owned by it."""
    meta = service["metadata"]
    entries = []
    for pod in pods:
        ip = _ip(pod)
        if ip is None:
            continue
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        ready = _ready(pod)
        entry: Obj = {
            "addresses": [ip],
            "conditions": {
                "ready": ready and not terminating,
                "serving": ready,
                "terminating": terminating,
            },
            "targetRef": _target_ref(pod),
        }
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            entry["nodeName"] = node
        entries.append(entry)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": slice_name(service),
            "namespace": meta["namespace"],
            "labels": {
                **(meta.get("labels") or {}),
                SERVICE_NAME_LABEL: meta["name"],
                MANAGED_BY_LABEL: MANAGED_BY,
            },
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "addressType": "IPv4",
        "endpoints": entries,
        "ports": _ports(service, pods) if entries else [],
    }


def children(service: Obj, all_pods: list[Obj]) -> list[Child]:
    """What the controllers keep for `service`: nothing unless it has a selector."""
    if not (service.get("spec") or {}).get("selector") or service["metadata"].get(
        "deletionTimestamp"
    ):
        return []
    pods = [p for p in all_pods if selects(service, p)]
    return [
        (ENDPOINTS, endpoints_object(service, pods)),
        (SLICES, endpoint_slice(service, pods)),
    ]


def content(obj: Obj) -> Obj:
    """The part the controllers own: everything but the metadata and type."""
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}

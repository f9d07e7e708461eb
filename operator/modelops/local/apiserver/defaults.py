"""What the real API server fills in on built-in kinds, so clients see the fields they expect.

Kubernetes' registry strategies and defaulting functions stamp fields that controllers,
kubectl and users' tools read back: a Job's `spec.selector` and the `controller-uid` /
`job-name` template labels (without them `kubectl logs job/NAME` picks any pod), a
Secret's `type: Opaque`, a Service's `type`, `clusterIP`, `ports[].protocol` and
`targetPort`, a Namespace's `kubernetes.io/metadata.name` label, a Pod's grace period.
Each function here is pure: an object in, the same object with its defaults, out.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]

JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")

_SIMPLE: dict[tuple[str, str], tuple[tuple[str, object], ...]] = {
    ("", "pods"): (
        ("spec.restartPolicy", "Always"),
        ("spec.terminationGracePeriodSeconds", 30),
        ("spec.dnsPolicy", "ClusterFirst"),
        ("spec.schedulerName", "default-scheduler"),
        ("status.phase", "Pending"),
    ),
    ("", "secrets"): (("type", "Opaque"),),
    ("apps", "deployments"): (
        ("spec.replicas", 1),
        ("spec.revisionHistoryLimit", 10),
        ("spec.progressDeadlineSeconds", 600),
    ),
    ("apps", "replicasets"): (("spec.replicas", 1),),
    ("apps", "statefulsets"): (("spec.replicas", 1),),
    ("batch", "jobs"): (
        ("spec.completions", 1),
        ("spec.parallelism", 1),
        ("spec.backoffLimit", 6),
        ("spec.completionMode", "NonIndexed"),
        ("spec.suspend", False),
    ),
}


def _dotted(obj: Obj, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _set_dotted(obj: Obj, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        child = obj.get(part)
        if not isinstance(child, dict):
            child = obj[part] = {}
        obj = child
    obj[parts[-1]] = value


def simple_defaults(group: str, plural: str, obj: Obj) -> None:
    """Fill the fixed-value defaults of `group/plural` that `obj` leaves unset."""
    for path, value in _SIMPLE.get((group, plural), ()):
        if _dotted(obj, path) in (None, ""):
            _set_dotted(obj, path, copy.deepcopy(value))


def secret_data(secret: Obj) -> None:
    """`stringData` is write-only: merged into `data`, base64-encoded, and dropped."""
    given = secret.pop("stringData", None)
    if isinstance(given, dict) and given:
        encoded = {k: base64.b64encode(str(v).encode()).decode() for k, v in given.items()}
        secret["data"] = {**(secret.get("data") or {}), **encoded}


def job_selector(job: Obj) -> None:
    """The selector and template labels the Job strategy generates (unless manualSelector)."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    meta = job["metadata"]
    uid, name = meta["uid"], meta["name"]
    spec["selector"] = {"matchLabels": {JOB_UID_LABELS[0]: uid}}
    template = spec.setdefault("template", {})
    tmeta = template.setdefault("metadata", {})
    labels = tmeta.setdefault("labels", {})
    labels.update(dict.fromkeys(JOB_UID_LABELS, uid))
    labels.update(dict.fromkeys(JOB_NAME_LABELS, name))


def namespace_label(namespace: Obj) -> None:
    """Every Namespace carries its own name as a label (immutable, re-set on update)."""
    meta = namespace["metadata"]
    labels = meta.get("labels") or {}
    meta["labels"] = {**labels, NAMESPACE_NAME_LABEL: meta["name"]}


def cluster_ip(uid: str, taken: Callable[[str], bool]) -> str:
    """A free address of the service CIDR, first tried where the uid's hash points."""
    size = SERVICE_CIDR.num_addresses
    start = int.from_bytes(hashlib.sha256(uid.encode()).digest()[:4], "big") % (size - 2) + 1
    for step in range(size - 2):
        address = str(SERVICE_CIDR[(start + step - 1) % (size - 2) + 1])
        if not taken(address):
            return address
    raise RuntimeError("the service CIDR is full")


def service(svc: Obj, taken: Callable[[str], bool], old: Obj | None) -> None:
    """Service defaults: type, clusterIP(s), IP family, affinity, port protocol and target."""
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    old_spec = (old or {}).get("spec") or {}
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = old_spec.get("clusterIP") or cluster_ip(
                svc["metadata"]["uid"], taken
            )
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec["clusterIP"] != "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    svc.setdefault("status", {"loadBalancer": {}})

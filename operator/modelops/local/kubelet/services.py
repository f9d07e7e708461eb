"""Which pods a Service sends traffic to, and the status a load-balancer controller writes.

Pure: a Service's backends are the assigned ports of the ready, not-deleting pods of its
namespace whose labels match its selector, in a stable order.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj


def selector(service: Obj) -> dict[str, str]:
    return dict((service.get("spec") or {}).get("selector") or {})


def backends(service: Obj, pods: Sequence[Obj]) -> list[int]:
    wanted = selector(service)
    ports: list[int] = []
    for pod in sorted(pods, key=objects.name):
        labels = objects.meta(pod).get("labels") or {}
        if (
            objects.namespace(pod) == objects.namespace(service)
            and all(labels.get(k) == v for k, v in wanted.items())
            and objects.is_ready(pod)
            and (port := objects.assigned_port(pod)) is not None
        ):
            ports.append(port)
    return ports


def load_balancer_status(port: int) -> Obj:
    """``status`` of a Service published on ``127.0.0.1:port``."""
    ingress = {"ip": objects.LOOPBACK, "ports": [{"port": port, "protocol": "TCP"}]}
    return {"loadBalancer": {"ingress": [ingress]}}

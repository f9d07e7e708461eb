"""The Deployment controller's decisions, pure: which pods to start and stop, and the status.

Pods are owned directly by the Deployment (no ReplicaSet objects); each carries the
``pod-template-hash`` label of the template it was made from, and its name starts with
``<deployment>-<hash>-`` as a ReplicaSet's pods would. A rolling update follows
maxSurge/maxUnavailable: new pods start first, old ones stop only while enough pods stay
available. ``Recreate`` stops every old pod before starting new ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj

HASH_LABEL = "pod-template-hash"
TIME_FIELDS = ("lastUpdateTime", "lastTransitionTime")
DEFAULT_PROGRESS_DEADLINE = 600


@dataclass(frozen=True)
class DeploymentPlan:
    """Pods to create (of the current template) and to stop, and the status to write."""

    template_hash: str
    create: int
    delete_pods: tuple[str, ...]
    status: Obj
    recheck_after: float | None = None


def template_hash(deployment: Obj) -> str:
    template = (deployment.get("spec") or {}).get("template") or {}
    return hashlib.sha256(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]


def deployment_pod(deployment: Obj, hash_: str) -> Obj:
    template = (deployment.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{objects.name(deployment)}-{hash_}-",
            "namespace": objects.namespace(deployment),
            "labels": {**(tmeta.get("labels") or {}), HASH_LABEL: hash_},
            "annotations": dict(tmeta.get("annotations") or {}),
            "ownerReferences": [objects.owner_reference(deployment, "apps/v1", "Deployment")],
        },
        "spec": {**(template.get("spec") or {}), "nodeName": objects.NODE_NAME},
    }


def rolling_limits(spec: Obj, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts; percentages round up and down."""
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _resolve(rolling.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = _resolve(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _resolve(value: object, desired: int, *, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        fraction = desired * float(value[:-1]) / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(str(value))


def available(pod: Obj, min_ready_seconds: int, now: dt.datetime) -> bool:
    if not objects.is_ready(pod):
        return False
    ready = objects.condition(pod, "Ready") or {}
    since = objects.parse_time(ready.get("lastTransitionTime")) or now
    return now >= since + dt.timedelta(seconds=min_ready_seconds)


def plan_deployment(deployment: Obj, pods: Sequence[Obj], now: dt.datetime) -> DeploymentPlan:
    spec = deployment.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    hash_ = template_hash(deployment)
    min_ready = int(spec.get("minReadySeconds") or 0)
    present = [p for p in pods if not objects.is_deleting(p)]
    dead = [p for p in present if objects.is_terminal(p)]
    live = sorted((p for p in present if not objects.is_terminal(p)), key=_age_key)
    new = [p for p in live if _hash(p) == hash_]
    old = [p for p in live if _hash(p) != hash_]
    surge, max_unavailable = rolling_limits(spec, desired)
    is_available = {objects.name(p): available(p, min_ready, now) for p in live}

    delete: list[Obj] = list(dead)
    create = 0
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        if old:
            delete += old
        else:
            create = max(desired - len(new), 0)
            delete += _surplus(new, desired, is_available)
    else:
        delete += _surplus(new, desired, is_available)
        create = max(min(desired - len(new), desired + surge - len(live)), 0)
        # Old pods that are not available cost nothing to stop; the available ones stop
        # only while the available count stays at or above desired - maxUnavailable.
        delete += [p for p in old if not is_available[objects.name(p)]]
        spare = sum(is_available.values()) - (desired - max_unavailable)
        delete += [p for p in old if is_available[objects.name(p)]][: max(spare, 0)]

    status = _status(deployment, desired, hash_, new, live, is_available, max_unavailable, now)
    recheck = _until_available(live, min_ready, now)
    return DeploymentPlan(
        template_hash=hash_,
        create=create,
        delete_pods=tuple(dict.fromkeys(objects.name(p) for p in delete)),
        status=status,
        recheck_after=recheck,
    )


def _hash(pod: Obj) -> str | None:
    labels = objects.meta(pod).get("labels") or {}
    value = labels.get(HASH_LABEL)
    return str(value) if value is not None else None


def _age_key(pod: Obj) -> tuple[str, str]:
    return (str(objects.meta(pod).get("creationTimestamp") or ""), objects.name(pod))


def _surplus(pods: list[Obj], desired: int, is_available: dict[str, bool]) -> list[Obj]:
    """The pods beyond ``desired``: unavailable ones first, then the newest."""
    excess = len(pods) - desired
    if excess <= 0:
        return []
    ranked = sorted(enumerate(pods), key=lambda ip: (is_available[objects.name(ip[1])], -ip[0]))
    return [p for _, p in ranked[:excess]]


def _until_available(live: list[Obj], min_ready: int, now: dt.datetime) -> float | None:
    waits = []
    for pod in live:
        if objects.is_ready(pod) and not available(pod, min_ready, now):
            since = objects.parse_time(
                (objects.condition(pod, "Ready") or {}).get("lastTransitionTime")
            )
            if since is not None:
                waits.append((since + dt.timedelta(seconds=min_ready) - now).total_seconds())
    return min(waits, default=None)


def _status(
    deployment: Obj,
    desired: int,
    hash_: str,
    new: list[Obj],
    live: list[Obj],
    is_available: dict[str, bool],
    max_unavailable: int,
    now: dt.datetime,
) -> Obj:
    previous: Obj = deployment.get("status") or {}
    available_count = sum(is_available.values())
    counts = {
        "replicas": len(live),
        "updatedReplicas": len(new),
        "readyReplicas": sum(1 for p in live if objects.is_ready(p)),
        "availableReplicas": available_count,
        "unavailableReplicas": max(desired - available_count, 0),
    }
    conditions: list[Obj] = list(previous.get("conditions") or [])
    if available_count >= desired - max_unavailable:
        conditions = objects.with_condition(
            conditions, "Available", "True", "MinimumReplicasAvailable",
            "Deployment has minimum availability.", now, TIME_FIELDS,
        )  # fmt: skip
    else:
        conditions = objects.with_condition(
            conditions, "Available", "False", "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.", now, TIME_FIELDS,
        )  # fmt: skip
    conditions = _progressing(deployment, conditions, counts, desired, hash_, now)
    status: Obj = {
        **{k: v for k, v in previous.items() if k not in counts},
        **counts,
        "observedGeneration": objects.meta(deployment).get("generation", 1),
        "conditions": conditions,
    }
    return status


def _progressing(
    deployment: Obj,
    conditions: list[Obj],
    counts: dict[str, int],
    desired: int,
    hash_: str,
    now: dt.datetime,
) -> list[Obj]:
    """Progressing as the Deployment controller keeps it, with its progress deadline."""
    previous: Obj = deployment.get("status") or {}
    replica_set = f'ReplicaSet "{objects.name(deployment)}-{hash_}"'
    complete = (
        counts["updatedReplicas"] == desired
        and counts["replicas"] == desired
        and counts["availableReplicas"] == desired
    )
    moved = any(previous.get(k, 0) != v for k, v in counts.items()) or previous.get(
        "observedGeneration"
    ) != objects.meta(deployment).get("generation", 1)
    stamp = objects.format_time(now)
    current = next((c for c in conditions if c.get("type") == "Progressing"), None)
    if complete:
        reason, status, message = "NewReplicaSetAvailable", "True", "has successfully progressed."
    elif moved or current is None:
        reason, status, message = "ReplicaSetUpdated", "True", "is progressing."
    else:
        deadline = int(
            (deployment.get("spec") or {}).get("progressDeadlineSeconds")
            or DEFAULT_PROGRESS_DEADLINE
        )
        updated = objects.parse_time(current.get("lastUpdateTime")) or now
        if now < updated + dt.timedelta(seconds=deadline):
            return conditions
        reason, status, message = "ProgressDeadlineExceeded", "False", "has timed out progressing."
    result = objects.with_condition(
        conditions, "Progressing", status, reason, f"{replica_set} {message}", now, TIME_FIELDS
    )
    for cond in result:
        if cond["type"] == "Progressing" and (
            moved or cond.get("reason") != (current or {}).get("reason")
        ):
            cond["lastUpdateTime"] = stamp
    return result

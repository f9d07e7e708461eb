"""Pure helpers for reading and writing raw Kubernetes objects (plain JSON dicts).

The kubelet speaks raw JSON to the API. Keys, owners, phases, conditions, timestamps and
merge patches are read and built here, once, so the controllers and their tests share
one reading of the API conventions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

Obj = dict[str, Any]

#: The node name the kubelet writes into the pods it creates (``kubectl get pods -o wide``).
NODE_NAME = "local"
#: The loopback address every local pod and Service answers on.
LOOPBACK = "127.0.0.1"
#: Annotation holding the loopback port assigned to a pod, or published for a Service.
PORT_ANNOTATION = "local.modelops.dev/port"

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def meta(obj: Mapping[str, Any]) -> Obj:
    metadata: Obj = obj.get("metadata") or {}
    return metadata


def key(obj: Mapping[str, Any]) -> str:
    """``namespace/name``, the identity of an object in a cache."""
    m = meta(obj)
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def uid(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid", ""))


def name(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace", ""))


def controller_ref(obj: Mapping[str, Any]) -> Obj | None:
    """The ownerReference marked ``controller: true``, if any."""
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owned_by(pods: Iterable[Obj], owner: Mapping[str, Any]) -> list[Obj]:
    owner_uid = uid(owner)
    return [p for p in pods if (ref := controller_ref(p)) and ref.get("uid") == owner_uid]


def owner_reference(owner: Mapping[str, Any], api_version: str, kind: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name(owner),
        "uid": uid(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return phase(pod) in TERMINAL_PHASES


def condition(obj: Mapping[str, Any], type_: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def condition_true(obj: Mapping[str, Any], type_: str) -> bool:
    cond = condition(obj, type_)
    return cond is not None and cond.get("status") == "True"


def is_ready(pod: Mapping[str, Any]) -> bool:
    return not is_deleting(pod) and not is_terminal(pod) and condition_true(pod, "Ready")


def main_container(pod: Mapping[str, Any]) -> Obj:
    """The container the kubelet runs: the first (only) entry of ``spec.containers``."""
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    first: Obj = containers[0]
    return first


def assigned_port(obj: Mapping[str, Any]) -> int | None:
    raw = (meta(obj).get("annotations") or {}).get(PORT_ANNOTATION)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def with_condition(
    conditions: Iterable[Mapping[str, Any]],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: dt.datetime,
    time_fields: tuple[str, ...] = ("lastTransitionTime",),
) -> list[Obj]:
    """Conditions with ``type_`` set; its times move only when its status changes."""
    result: list[Obj] = []
    found = False
    stamp = format_time(now)
    for cond in conditions:
        if cond.get("type") != type_:
            result.append(dict(cond))
            continue
        found = True
        new = dict(cond, status=status, reason=reason, message=message)
        if cond.get("status") != status:
            new.update({f: stamp for f in time_fields})
        result.append(new)
    if not found:
        fresh: Obj = {"type": type_, "status": status, "reason": reason, "message": message}
        fresh.update({f: stamp for f in time_fields})
        result.append(fresh)
    return result


def format_time(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(raw: object) -> dt.datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj:
    """The top-level JSON merge patch turning ``old`` into ``new`` (``{}`` if equal)."""
    patch: Obj = {k: v for k, v in new.items() if old.get(k) != v}
    patch.update({k: None for k in old if k not in new})
    return patch


def newer(candidate: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether ``candidate`` is not older than ``current`` by resourceVersion.

    resourceVersions are opaque, but every server that numbers them does so with rising
    integers; when they do not parse, the later arrival wins.
    """
    a, b = meta(candidate).get("resourceVersion"), meta(current).get("resourceVersion")
    try:
        return int(str(a)) >= int(str(b))
    except ValueError:
        return True

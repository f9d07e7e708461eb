"""Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get`.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints whatever
columns the server returns. CRDs get their additionalPrinterColumns (JSONPath evaluated
here, including filters like `.status.conditions[?(@.type=="Ready")].status`; priority
kept for `-o wide`); pods and deployments get the familiar columns; others Name and Age.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from .kinds import ResourceType

Obj = dict[str, Any]

_TOKEN = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_$-]+)"""
    r"""|\[(?P<index>-?\d+|\*)\]"""
    r"""|\[\?\(@\.(?P<fpath>[A-Za-z0-9_.-]+)\s*(?P<op>==|!=)\s*"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<raw>[^)\s]+))\s*\)\]"""
    r"""|\[['"](?P<quoted>[^'"]+)['"]\]"""
    r"""|\.\*(?P<star>)"""
)


def jsonpath(obj: Any, expression: str) -> list[Any]:
    """Evaluate the Kubernetes JSONPath subset used by printer columns."""
    path = expression.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    values = [obj]
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {expression!r} at {position}")
        position = match.end()
        values = _step(values, match)
    return values


def _step(values: list[Any], match: re.Match[str]) -> list[Any]:
    found: list[Any] = []
    field = match.group("field") or match.group("quoted")
    for value in values:
        if field is not None:
            if isinstance(value, dict) and field in value:
                found.append(value[field])
        elif match.group("index") is not None:
            if isinstance(value, list):
                index = match.group("index")
                if index == "*":
                    found.extend(value)
                elif -len(value) <= int(index) < len(value):
                    found.append(value[int(index)])
        elif match.group("fpath") is not None:
            if isinstance(value, list):
                wanted = next(
                    v
                    for v in (match.group("dq"), match.group("sq"), match.group("raw"))
                    if v is not None
                )
                equal = match.group("op") == "=="
                for item in value:
                    got = jsonpath(item, "." + match.group("fpath"))
                    if (bool(got) and _text(got[0]) == wanted) == equal:
                        found.append(item)
        elif isinstance(value, dict):
            found.extend(value.values())
        elif isinstance(value, list):
            found.extend(value)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def human_age(timestamp: str | None, now: datetime.datetime | None = None) -> str:
    """Age the way kubectl prints it: 12s, 5m3s, 4h, 2d3h, 45d."""
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.UTC
        )
    except ValueError:
        return "<invalid>"
    seconds = int(((now or datetime.datetime.now(datetime.UTC)) - then).total_seconds())
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    return f"{days}d" if days < 730 else f"{days // 365}y"


def _column(name: str, type_: str = "string", priority: int = 0, description: str = "") -> Obj:
    return {
        "name": name,
        "type": type_,
        "format": "name" if name == "Name" else "",
        "description": description or name,
        "priority": priority,
    }


_NAME = _column("Name", description="Name must be unique within a namespace.")
_AGE = _column("Age", description="CreationTimestamp is the time the object was created.")


def _age(obj: Obj) -> str:
    return human_age(obj["metadata"].get("creationTimestamp"))


def _pod_cells(pod: Obj) -> list[Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    status = _pod_status(pod, statuses)
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(containers)}",
        status,
        restarts,
        _age(pod),
        (pod.get("status") or {}).get("podIP", "<none>"),
        (pod.get("spec") or {}).get("nodeName", "<none>"),
    ]


def _pod_status(pod: Obj, statuses: list[Obj]) -> str:
    """The STATUS kubectl prints: a container's waiting or terminated reason over the phase."""
    status = (pod.get("status") or {}).get("reason") or (pod.get("status") or {}).get(
        "phase", "Pending"
    )
    for container in statuses:
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            status = waiting["reason"]
        elif terminated and terminated.get("reason"):
            status = terminated["reason"]
        elif terminated:
            signal = terminated.get("signal")
            status = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"
    if pod["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    return str(status)


def _deployment_cells(deployment: Obj) -> list[Any]:
    status = deployment.get("status") or {}
    desired = (deployment.get("spec") or {}).get("replicas", 1)
    return [
        deployment["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{desired}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(deployment),
    ]


def _data_count(obj: Obj) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


def _ports(service: Obj) -> str:
    ports = (service.get("spec") or {}).get("ports") or []
    shown = []
    for port in ports:
        text = str(port.get("port", ""))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        shown.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(shown) or "<none>"


def _external_ip(service: Obj) -> str:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress]
    return ",".join(a for a in addresses if a) or "<none>"


def _service_cells(service: Obj) -> list[Any]:
    spec = service.get("spec") or {}
    return [
        service["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP", "<none>"),
        _external_ip(service),
        _ports(service),
        _age(service),
        selectors_text(spec.get("selector")),
    ]


def selectors_text(selector: Obj | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items())) or "<none>"


def _event_cells(event: Obj) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event["metadata"].get("creationTimestamp")
    )
    return [
        human_age(str(last)[:19] + "Z" if last else None),
        event.get("type", ""),
        event.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        event.get("message", ""),
    ]


def _job_cells(job: Obj) -> list[Any]:
    status = job.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    state = "Running"
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif conditions.get("Suspended") == "True":
        state = "Suspended"
    completions = (job.get("spec") or {}).get("completions", 1)
    return [
        job["metadata"]["name"],
        state,
        f"{status.get('succeeded', 0)}/{completions}",
        _age(job),
    ]


_BUILTIN: dict[tuple[str, str], tuple[list[Obj], Callable[[Obj], list[Any]]]] = {
    ("", "configmaps"): (
        [_NAME, _column("Data", "integer"), _AGE],
        lambda cm: [cm["metadata"]["name"], _data_count(cm), _age(cm)],
    ),
    ("", "secrets"): (
        [_NAME, _column("Type"), _column("Data", "integer"), _AGE],
        lambda s: [s["metadata"]["name"], s.get("type", ""), _data_count(s), _age(s)],
    ),
    ("", "services"): (
        [
            _NAME,
            _column("Type"),
            _column("Cluster-IP"),
            _column("External-IP"),
            _column("Port(s)"),
            _AGE,
            _column("Selector", priority=1),
        ],
        _service_cells,
    ),
    ("", "events"): (
        [
            _column("Last Seen"),
            _column("Type"),
            _column("Reason"),
            _column("Object"),
            _column("Message"),
        ],
        _event_cells,
    ),
    ("batch", "jobs"): (
        [_NAME, _column("Status"), _column("Completions"), _AGE],
        _job_cells,
    ),
    ("", "pods"): (
        [
            _NAME,
            _column("Ready"),
            _column("Status"),
            _column("Restarts", "integer"),
            _AGE,
            _column("IP", priority=1),
            _column("Node", priority=1),
        ],
        _pod_cells,
    ),
    ("apps", "deployments"): (
        [
            _NAME,
            _column("Ready"),
            _column("Up-to-date", "integer"),
            _column("Available", "integer"),
            _AGE,
        ],
        _deployment_cells,
    ),
    ("", "namespaces"): (
        [_NAME, _column("Status"), _AGE],
        lambda ns: [ns["metadata"]["name"], (ns.get("status") or {}).get("phase", ""), _age(ns)],
    ),
}


def _cell(obj: Obj, column: Obj) -> Any:
    try:
        values = jsonpath(obj, column.get("jsonPath", ""))
    except ValueError:
        return None
    if not values:
        return None
    value = values[0] if len(values) == 1 else ", ".join(_text(v) for v in values)
    kind = column.get("type", "string")
    if kind == "date":
        return human_age(str(value))
    if kind in ("integer", "number", "boolean") and not isinstance(value, (dict, list, str)):
        return value
    if isinstance(value, (dict, list)):
        return str(value)
    return _text(value)


def _custom(rtype: ResourceType) -> tuple[list[Obj], Callable[[Obj], list[Any]]]:
    columns = list(rtype.printer_columns)
    if not columns:
        columns = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    definitions = [_NAME] + [
        {
            "name": c["name"],
            "type": c.get("type", "string"),
            "format": c.get("format", ""),
            "description": c.get("description", c["name"]),
            "priority": c.get("priority", 0),
        }
        for c in columns
    ]
    return definitions, lambda obj: [obj["metadata"]["name"]] + [_cell(obj, c) for c in columns]


def _layout(rtype: ResourceType) -> tuple[list[Obj], Callable[[Obj], list[Any]]]:
    if rtype.schema is not None:
        return _custom(rtype)
    return _BUILTIN.get(
        (rtype.group, rtype.plural), ([_NAME, _AGE], lambda o: [o["metadata"]["name"], _age(o)])
    )


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def table(rtype: ResourceType, items: list[Obj], revision: str, include: str = "Metadata") -> Obj:
    """A Table of `items`; `include` is the includeObject option (None, Metadata, Object)."""
    definitions, cells = _layout(rtype)
    rows = []
    for obj in items:
        row: Obj = {"cells": cells(obj)}
        embedded = _row_object(obj, include)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": revision},
        "columnDefinitions": definitions,
        "rows": rows,
    }

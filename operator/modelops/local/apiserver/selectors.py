"""Label and field selectors, parsed from query strings and matched against objects.

The grammar is the one `kubectl -l` and client libraries send: `a=b`, `a==b`, `a!=b`,
`a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated (all must hold). Field
selectors take `metadata.name` and `metadata.namespace` on every kind and the few
fields each built-in kind's registry declares (a pod's `spec.nodeName` or
`status.phase`, an event's `involvedObject.*`); any other field answers 400, as the real
server does, rather than a silently unfiltered list.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from . import errors

Obj = dict[str, Any]
Matcher = Callable[[Obj], bool]

_SET_OP = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_OP = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


@dataclasses.dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        return not present or value not in self.values


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside `in (...)` value lists."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [t for t in terms if t.strip()]


def parse_labels(text: str | None) -> list[Requirement]:
    """Parse a labelSelector; a malformed one raises a 400 like the real server."""
    if not text:
        return []
    requirements = []
    for term in _split_terms(text):
        eq = _EQ_OP.match(term)
        if eq:
            key, op, value = eq.groups()
            requirements.append(Requirement(key, "!=" if op == "!=" else "=", frozenset([value])))
            continue
        st = _SET_OP.match(term)
        if not st:
            raise errors.bad_request(f"unable to parse requirement: {term.strip()!r}")
        negated, key, op, values = st.groups()
        if op:
            if negated:
                raise errors.bad_request(f"unable to parse requirement: {term.strip()!r}")
            items = frozenset(v.strip() for v in values.split(",") if v.strip())
            requirements.append(Requirement(key, op, items))
        else:
            requirements.append(Requirement(key, "!exists" if negated else "exists"))
    return requirements


def parse_fields(text: str | None) -> list[tuple[str, bool, str]]:
    """Parse a fieldSelector into (dotted path, must equal, value) triples."""
    if not text:
        return []
    parsed = []
    for term in _split_terms(text):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not match:
            raise errors.bad_request(f"invalid selector: {term.strip()!r}")
        path, op, value = match.groups()
        parsed.append((path, op != "!=", value))
    return parsed


_EVENT_FIELDS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)
_KIND_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("", "pods"): frozenset(
        {
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        }
    ),
    ("", "events"): _EVENT_FIELDS,
    ("events.k8s.io", "events"): frozenset(
        {f"regarding.{f.partition('.')[2]}" for f in _EVENT_FIELDS if "." in f}
        | {"reason", "reportingController", "type"}
    ),
    ("", "secrets"): frozenset({"type"}),
    ("", "namespaces"): frozenset({"status.phase"}),
    ("", "nodes"): frozenset({"spec.unschedulable"}),
    ("", "replicationcontrollers"): frozenset({"status.replicas"}),
    ("apps", "replicasets"): frozenset({"status.replicas"}),
    ("batch", "jobs"): frozenset({"status.successful"}),
}
_ALIASES = {"source": "source.component"}


def supported_fields(group: str, plural: str) -> frozenset[str]:
    """The field selector keys `group/plural` accepts."""
    return frozenset({"metadata.name", "metadata.namespace"}) | _KIND_FIELDS.get(
        (group, plural), frozenset()
    )


def _field(obj: Obj, path: str) -> str:
    path = _ALIASES.get(path, path)
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matcher(
    label_selector: str | None,
    field_selector: str | None,
    supported: frozenset[str] | None = None,
) -> Matcher:
    """One predicate for both selectors; 400 on syntax errors and on unsupported fields."""
    labels = parse_labels(label_selector)
    fields = parse_fields(field_selector)
    for path, _, _ in fields:
        if supported is not None and path not in supported:
            raise errors.bad_request(f'field label not supported: "{path}"')

    def matches(obj: Obj) -> bool:
        if labels:
            own = obj.get("metadata", {}).get("labels") or {}
            if not all(r.matches(own) for r in labels):
                return False
        return all((_field(obj, path) == value) == equal for path, equal, value in fields)

    return matches


def selector_string(selector: Obj | None) -> str:
    """A metav1.LabelSelector rendered as the string form (for Scale.status.selector)."""
    if not selector:
        return ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator", "")
        key = expr.get("key", "")
        values = ",".join(expr.get("values") or [])
        if op == "In":
            terms.append(f"{key} in ({values})")
        elif op == "NotIn":
            terms.append(f"{key} notin ({values})")
        elif op == "Exists":
            terms.append(key)
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms)

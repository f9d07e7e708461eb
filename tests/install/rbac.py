"""Kubernetes RBAC matching, and the requests a component made, read from an audit log.

``allows`` follows the authorizer's rules (k8s.io/apiserver rbac/v1 helpers): a rule
matches when its apiGroups, resources and verbs all match; ``*`` matches anything in its
field; a subresource request ("pods/log") matches only "pods/log", "*/log" or "*", never
"pods"; resourceNames restrict only requests that name an object. ``watch`` and ``list``
are separate verbs, as are ``patch`` and ``update``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Rule = dict[str, Any]


@dataclass(frozen=True, order=True)
class Request:
    """What RBAC authorizes: verb, API group, resource (``plural`` or ``plural/sub``)."""

    verb: str
    group: str
    resource: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.verb} {self.group or 'core'}/{self.resource}"


def _matches(values: Iterable[str], wanted: str) -> bool:
    return any(v == "*" or v == wanted for v in values)


def _resource_matches(resources: Iterable[str], wanted: str) -> bool:
    _, _, sub = wanted.partition("/")
    for resource in resources:
        if resource in ("*", wanted):
            return True
        if sub and resource == f"*/{sub}":
            return True
    return False


def rule_allows(rule: Rule, request: Request) -> bool:
    if "nonResourceURLs" in rule and "resources" not in rule:
        return False
    if not _matches(rule.get("verbs") or [], request.verb):
        return False
    if not _matches(rule.get("apiGroups") or [], request.group):
        return False
    if not _resource_matches(rule.get("resources") or [], request.resource):
        return False
    names = rule.get("resourceNames") or []
    return not names or (bool(request.name) and request.name in names)


def allows(rules: Iterable[Rule], request: Request) -> bool:
    """Whether any rule of a role grants ``request``."""
    return any(rule_allows(rule, request) for rule in rules)


def grants(rules: Iterable[Rule]) -> set[Request]:
    """Every (verb, group, resource) a role grants, wildcard-free rules assumed."""
    return {
        Request(verb, group, resource)
        for rule in rules
        for verb in rule.get("verbs") or []
        for group in rule.get("apiGroups") or []
        for resource in rule.get("resources") or []
    }


def read_audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def requests_of(records: list[dict[str, Any]], agents: tuple[str, ...]) -> set[Request]:
    """The requests made by clients whose user agent starts with one of ``agents``.

    Server-side apply is audited as ``patch`` but authorized as ``create`` too when it
    creates the object (Kubernetes API concepts, "Patch and apply"): a patch following a
    404 on the same object by the same client is counted as both.
    """
    found: set[Request] = set()
    missing: set[tuple[str, str, str, str, str]] = set()
    for record in records:
        agent = record["user_agent"]
        if not agent.startswith(agents):
            continue
        resource = record["resource"]
        if record["subresource"]:
            resource += "/" + record["subresource"]
        found.add(Request(record["verb"], record["api_group"], resource))
        key = (agent, record["api_group"], resource, record["namespace"], record["name"])
        if record["verb"] == "get" and record["code"] == 404:
            missing.add(key)
        elif record["verb"] == "patch" and key in missing and record["code"] < 300:
            found.add(Request("create", record["api_group"], resource))
            missing.discard(key)
    return found

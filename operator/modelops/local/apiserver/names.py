"""Object names as a real API server checks them on create.

Kubernetes refuses a name its kind cannot carry: a Service name must be a DNS-1035
label (it becomes a DNS name), a Namespace a DNS-1123 label, most other kinds a
DNS-1123 subdomain; a custom resource must also match what its CRD's schema says of
``metadata.name``. Without this, a name a real cluster refuses would pass here.
"""

from __future__ import annotations

import re
from typing import Any

from .kinds import NAMESPACES, ResourceType

_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SERVICES = ("", "services")


def _cause(message: str) -> dict[str, str]:
    return {"reason": "FieldValueInvalid", "message": message, "field": "metadata.name"}


def causes(rtype: ResourceType, name: str) -> list[dict[str, str]]:
    """Why ``name`` is not a valid name for ``rtype``; empty when it is."""
    kind = (rtype.group, rtype.plural)
    if kind == SERVICES:
        if len(name) > 63 or not _LABEL_1035.match(name):
            return [
                _cause(
                    f"Invalid value: {name[:80]!r}: a DNS-1035 label must consist of lower case "
                    "alphanumeric characters or '-', start with an alphabetic character, end "
                    "with an alphanumeric character, and be at most 63 characters"
                )
            ]
        return []
    if kind == NAMESPACES:
        if len(name) > 63 or not _LABEL_1123.match(name):
            return [_cause(f"Invalid value: {name[:80]!r}: a lowercase RFC 1123 label")]
        return []
    if len(name) > 253 or not _SUBDOMAIN.match(name):
        return [_cause(f"Invalid value: {name[:80]!r}: a lowercase RFC 1123 subdomain")]
    return _schema_causes(rtype.schema, name)


def _schema_causes(schema: dict[str, Any] | None, name: str) -> list[dict[str, str]]:
    """What a CRD's ``metadata.name`` schema (pattern, maxLength) says of ``name``."""
    rule = (((schema or {}).get("properties") or {}).get("metadata") or {}).get("properties", {})
    rule = rule.get("name") or {}
    found = []
    if "maxLength" in rule and len(name) > int(rule["maxLength"]):
        found.append(_cause(f"Too long: may not be more than {rule['maxLength']} bytes"))
    if "pattern" in rule and not re.search(str(rule["pattern"]), name):
        found.append(_cause(f"Invalid value: {name[:80]!r}: should match {rule['pattern']!r}"))
    return found

"""Resource URLs taken apart: which group, version, resource, namespace, name, subresource.

`/api/v1/namespaces/ns/pods/name/status`, `/apis/apps/v1/deployments` (all namespaces),
`/api/v1/namespaces/ns` (the Namespace itself) and the legacy `/watch/` prefix all parse
to one `Target`, from which handlers and the audit log read.
"""

from __future__ import annotations

import dataclasses

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclasses.dataclass(frozen=True)
class Target:
    group: str
    version: str
    plural: str
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_prefix: bool = False

    def audit_key(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.group,
            self.version,
            self.plural,
            self.subresource or "",
            self.namespace or "",
            self.name or "",
        )


def parse(path: str) -> Target | None:
    """The resource a URL addresses, or None for a non-resource URL."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch_prefix = bool(rest) and rest[0] == "watch"
    if watch_prefix:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in _NAMESPACE_SUBRESOURCES:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    return Target(
        group=group,
        version=version,
        plural=rest[0],
        namespace=namespace,
        name=rest[1] if len(rest) > 1 else None,
        subresource=rest[2] if len(rest) > 2 else None,
        watch_prefix=watch_prefix,
    )

"""An audit trail of every request, as Kubernetes audit logging names it.

Records stay in memory (`ApiServer.audit`) and are appended as JSON lines to
`<state>/audit.jsonl`, so tests can prove which verbs on which resources a component
used, e.g. that the operator's RBAC is least-privilege.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import IO

import orjson


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """One request: the Kubernetes verb, what it touched, who asked and the answer."""

    verb: str
    """get, list, watch, create, update, patch, delete or deletecollection."""
    api_group: str
    api_version: str
    resource: str
    subresource: str
    namespace: str
    name: str
    user_agent: str
    code: int
    timestamp: float
    path: str


class AuditLog:
    """Keeps records in a list and appends each to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.records: list[AuditRecord] = []
        self._file: IO[bytes] = path.open("ab")

    def add(self, record: AuditRecord) -> None:
        self.records.append(record)
        self._file.write(orjson.dumps(dataclasses.asdict(record)) + b"\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def record(
    verb: str, target: tuple[str, str, str, str, str, str], user_agent: str, code: int, path: str
) -> AuditRecord:
    group, version, resource, subresource, namespace, name = target
    return AuditRecord(
        verb,
        group,
        version,
        resource,
        subresource,
        namespace,
        name,
        user_agent,
        code,
        time.time(),
        path,
    )

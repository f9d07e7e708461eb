"""What every handler needs: the API seam, settings, per-object locks and the clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import kopf
from pydantic import ValidationError

from modelops.api.common import ApiModel
from modelops.kube.client import Kube
from modelops.metrics import OperatorMetrics
from modelops.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Context:
    """Runtime state of the operator, kept in kopf's memo under ``modelops``."""

    kube: Kube
    settings: Settings
    metrics: OperatorMetrics = field(default_factory=OperatorMetrics)
    now: Callable[[], datetime] = utcnow
    _locks: dict[tuple[str, str, str], asyncio.Lock] = field(default_factory=dict)

    @asynccontextmanager
    async def lock(self, kind: str, namespace: str, name: str) -> AsyncIterator[None]:
        """Serialise work on one object so two reconciles never race each other."""
        key = (kind, namespace, name)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield

    @asynccontextmanager
    async def reconciling(self, kind: str, namespace: str, name: str) -> AsyncIterator[None]:
        """Hold the object's lock, and count and time the reconcile by outcome."""
        started = time.monotonic()
        outcome = "error"
        try:
            async with self.lock(kind, namespace, name):
                yield
            outcome = "ok"
        finally:
            self.metrics.reconciles.labels(kind, outcome).inc()
            self.metrics.reconcile_seconds.labels(kind).observe(time.monotonic() - started)


StatusT = TypeVar("StatusT", bound=ApiModel)


def read_status(model: type[StatusT], body: dict[str, Any]) -> StatusT:
    """The object's status as ``model``; a status we cannot read starts afresh."""
    try:
        return model.model_validate(body.get("status") or {})
    except ValidationError:
        return model()


async def write_status(ctx: Context, body: dict[str, Any], status: dict[str, Any]) -> None:
    """Merge-patch ``status`` into the object's status subresource."""
    meta = body["metadata"]
    await ctx.kube.patch(
        body["apiVersion"],
        body["kind"],
        meta["namespace"],
        meta["name"],
        {"status": status},
        subresource="status",
    )


def of(memo: Any) -> Context:
    """The Context stored in kopf's memo at startup."""
    context: Context = memo.modelops
    return context


def describe(error: ValidationError) -> str:
    """A validation error as one line per field: ``spec.dataset.uri: <problem>``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def event(body: dict[str, Any], reason: str, message: str, warning: bool = False) -> None:
    """Post a Kubernetes Event about ``body`` (kopf sends it in the background)."""
    if warning:
        kopf.warn(cast(kopf.Body, body), reason=reason, message=message)
    else:
        kopf.info(cast(kopf.Body, body), reason=reason, message=message)

"""What every handler needs: the API seam, settings, per-object locks, the clock, Events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from modelops.controllers.counters import OperatorMetrics
from modelops.decide.plan import Event
from modelops.kube.client import Kube
from modelops.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def post_with_kopf(event: Event) -> None:
    """Post a Kubernetes Event (kopf sends it in the background)."""
    body = cast(kopf.Body, event.about.body())
    if event.warning:
        kopf.warn(body, reason=event.reason, message=event.message)
    else:
        kopf.info(body, reason=event.reason, message=event.message)


@dataclass
class Context:
    """Runtime state of the operator, kept in kopf's memo under ``modelops``."""

    kube: Kube
    settings: Settings
    metrics: OperatorMetrics = field(default_factory=OperatorMetrics)
    now: Callable[[], datetime] = utcnow
    #: Where the plans' Events go: kopf's poster in the operator, a list in tests.
    post: Callable[[Event], None] = post_with_kopf
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


def of(memo: Any) -> Context:
    """The Context stored in kopf's memo at startup."""
    context: Context = memo.modelops
    return context

"""The one reconcile every kind shares: read -> plan -> apply -> Events -> status.

A kind gives a reader (I/O: the object and what its planner needs), a pure planner
(``decide.<kind>.plan``) and how its status is read and patched; this module does the
rest, the same way for all three. A write that meets a conflict (409: a name taken, a
stale object) stops the plan; the reconcile reads again and plans again, a few times,
then leaves the object to its next event or timer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from modelops import API_VERSION
from modelops.controllers.context import Context
from modelops.decide.plan import Plan, Verb, Write
from modelops.kube import errors
from modelops.settings import Settings
from modelops.structs import Obj

ObservedT = TypeVar("ObservedT")
StatusT = TypeVar("StatusT")

#: Plans made for one reconcile before it gives up on a run of conflicts.
ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind(Generic[ObservedT, StatusT]):
    """How one custom resource kind is read, planned and reported."""

    name: str
    #: Reads what the planner needs; the body is None when the object is gone or going.
    read: Callable[[Context, str, str, Obj | None], Awaitable[ObservedT]]
    plan: Callable[[ObservedT, datetime, Settings], Plan[StatusT]]
    #: The status as it is now (what the plan's status is compared with).
    status_of: Callable[[Obj], StatusT]
    #: The merge patch of the status subresource for a new status.
    status_patch: Callable[[StatusT], Obj]
    #: Counts and times transitions (body, old and new status) in the operator's metrics.
    observe: Callable[[Context, Obj, StatusT, StatusT], None] = lambda ctx, body, old, new: None
    #: A key that serialises reconciles of related objects (a model's versions), or None.
    serialise_by: Callable[[Obj], str | None] = lambda body: None


async def reconcile(ctx: Context, kind: Kind[Any, Any], namespace: str, name: str) -> None:
    """Bring one object in line with its spec, as its kind's planner says."""
    async with ctx.reconciling(kind.name, namespace, name), AsyncExitStack() as stack:
        body = await _find(ctx, kind, namespace, name)
        key = kind.serialise_by(body) if body is not None else None
        if key is not None:
            await stack.enter_async_context(ctx.lock(f"{kind.name}/serial", namespace, key))
            body = await _find(ctx, kind, namespace, name)
        for _ in range(ATTEMPTS):
            observed = await kind.read(ctx, namespace, name, body)
            plan = kind.plan(observed, ctx.now(), ctx.settings)
            if await apply(ctx, plan.writes):
                break
            body = await _find(ctx, kind, namespace, name)
        else:
            log.info(
                "%s %s/%s: writes kept conflicting; next event retries", kind.name, namespace, name
            )
            return
        for event in plan.events:
            ctx.post(event)
        if body is not None and plan.status is not None:
            old = kind.status_of(body)
            if plan.status != old:
                patch = kind.status_patch(plan.status)
                await ctx.kube.patch(
                    API_VERSION, kind.name, namespace, name, {"status": patch}, subresource="status"
                )
            kind.observe(ctx, body, old, plan.status)


async def _find(ctx: Context, kind: Kind[Any, Any], namespace: str, name: str) -> Obj | None:
    body = await ctx.kube.find(API_VERSION, kind.name, namespace, name)
    if body is None or body["metadata"].get("deletionTimestamp"):
        return None
    return body


async def apply(ctx: Context, writes: tuple[Write, ...]) -> bool:
    """Carry out ``writes`` in order; False when one met a conflict (the rest are not made)."""
    for write in writes:
        try:
            await _one(ctx, write)
        except errors.Conflict as error:
            log.info(
                "conflict on %s %s/%s: %s", write.verb, write.ref.namespace, write.ref.name, error
            )
            return False
    return True


async def _one(ctx: Context, write: Write) -> None:
    ref, kube = write.ref, ctx.kube
    if write.verb == Verb.CREATE:
        assert write.body is not None
        await kube.create(write.body)
    elif write.verb == Verb.APPLY:
        assert write.body is not None
        await kube.apply(write.body)
    elif write.verb in (Verb.PATCH, Verb.PATCH_STATUS):
        assert write.body is not None
        subresource = "status" if write.verb == Verb.PATCH_STATUS else None
        await kube.patch(
            ref.api_version, ref.kind, ref.namespace, ref.name, write.body, subresource=subresource
        )
    else:
        await kube.delete(ref.api_version, ref.kind, ref.namespace, ref.name)

"""What a planner returns: the new status, the writes to make, the Events to post.

Every reconcile reads what it needs, hands it to its kind's pure planner and carries
out the ``Plan`` it gets back (``controllers.skeleton``): the writes in order,
stopping at a conflict (the next reconcile reads again and plans again), then the
Events, then the status patch. Nothing here does I/O or reads a clock; a planner is
tested with plain values, as kopf tests its effects and the local kubelet its
``JobPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from modelops.structs import Obj, Ref

StatusT = TypeVar("StatusT")


class Verb(StrEnum):
    CREATE = "create"  # fails with a conflict when the name is taken
    APPLY = "apply"  # server-side apply of a child the reconciled object owns
    PATCH = "patch"  # JSON merge patch of the object's spec or metadata
    PATCH_STATUS = "patch-status"  # JSON merge patch of the status subresource
    DELETE = "delete"


@dataclass(frozen=True)
class Write:
    """One change to one object."""

    verb: Verb
    ref: Ref
    body: Obj | None = None  # the object (create, apply) or the merge patch (patch)

    @classmethod
    def create(cls, obj: Obj) -> Write:
        return cls(Verb.CREATE, Ref.of(obj), obj)

    @classmethod
    def apply(cls, obj: Obj) -> Write:
        return cls(Verb.APPLY, Ref.of(obj), obj)

    @classmethod
    def patch(cls, ref: Ref, patch: Obj) -> Write:
        return cls(Verb.PATCH, ref, patch)

    @classmethod
    def patch_status(cls, ref: Ref, status: Obj) -> Write:
        return cls(Verb.PATCH_STATUS, ref, {"status": status})

    @classmethod
    def delete(cls, ref: Ref) -> Write:
        return cls(Verb.DELETE, ref)


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event about ``about``: a transition a person may want to see."""

    about: Ref
    reason: str
    message: str
    warning: bool = False


@dataclass(frozen=True)
class Plan(Generic[StatusT]):
    """The outcome of one reconcile. ``status`` None: the object is gone, write none."""

    status: StatusT | None
    writes: tuple[Write, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass
class Builder(Generic[StatusT]):
    """Collects writes and events while a planner works through its rules."""

    writes: list[Write] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def write(self, write: Write) -> None:
        self.writes.append(write)

    def event(self, about: Ref, reason: str, message: str, warning: bool = False) -> None:
        self.events.append(Event(about, reason, message, warning))

    def done(self, status: StatusT | None) -> Plan[StatusT]:
        return Plan(status, tuple(self.writes), tuple(self.events))

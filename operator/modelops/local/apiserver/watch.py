"""The event log behind `?watch=1`: retained history, live fan-out, and 410 Gone.

Each write publishes one event carrying its resourceVersion and the object as it was
before, so a label-selector watch sees an object that starts matching as ADDED and one
that stops matching as DELETED, and a paginated list can be rolled back to the revision
its first page was read at. A watch from version N
replays retained events newer than N and then streams live ones, registered without an
await in between so none can fall into a gap. When N is older than the retained history
(it was compacted, as etcd does), the watch fails with 410 Gone and the client relists.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import Callable
from typing import Any

import orjson

from . import errors

Obj = dict[str, Any]


@dataclasses.dataclass
class Event:
    """One change: ADDED, MODIFIED or DELETED, with the object as written (and before)."""

    type: str
    obj: Obj
    revision: int
    group: str
    plural: str
    old: Obj | None = None
    _line: bytes | None = None

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace", ""))

    def line(self) -> bytes:
        """The JSON line sent to watchers, encoded once however many are watching."""
        if self._line is None:
            self._line = orjson.dumps({"type": self.type, "object": self.obj}) + b"\n"
        return self._line


@dataclasses.dataclass(eq=False)
class Watcher:
    group: str
    plural: str
    namespace: str | None
    matches: Callable[[Obj], bool]
    queue: asyncio.Queue[Event | None] = dataclasses.field(default_factory=asyncio.Queue)

    def view(self, event: Event) -> Event | None:
        """The event as this watcher sees it through its selectors, or None."""
        if (
            event.group != self.group
            or event.plural != self.plural
            or (self.namespace is not None and event.namespace != self.namespace)
        ):
            return None
        matches_now = self.matches(event.obj)
        if event.type == "MODIFIED" and event.old is not None:
            matched_before = self.matches(event.old)
            if matches_now and not matched_before:
                return dataclasses.replace(event, type="ADDED", _line=None)
            if matched_before and not matches_now:
                return dataclasses.replace(event, type="DELETED", _line=None)
        return event if matches_now else None


class EventLog:
    """Retains the last `retain` events and hands new ones to every matching watcher."""

    def __init__(self, revision: int, retain: int = 10_000) -> None:
        self._history: collections.deque[Event] = collections.deque()
        self._retain = retain
        self._watchers: set[Watcher] = set()
        self.compacted_through = revision
        """Events up to this revision are gone; a watch from before it gets 410."""

    def publish(self, event: Event) -> None:
        if len(self._history) >= self._retain:
            self.compacted_through = self._history.popleft().revision
        self._history.append(event)
        for watcher in self._watchers:
            seen = watcher.view(event)
            if seen is not None:
                watcher.queue.put_nowait(seen)

    def subscribe(self, watcher: Watcher, since: int | None) -> list[Event]:
        """Register `watcher`; return the retained events after `since` that it wants."""
        backlog: list[Event] = []
        if since is not None:
            if since < self.compacted_through:
                raise errors.gone(
                    f"too old resource version: {since} ({self.compacted_through + 1})"
                )
            backlog = [
                seen
                for e in self._history
                if e.revision > since and (seen := watcher.view(e)) is not None
            ]
        self._watchers.add(watcher)
        return backlog

    def since(self, revision: int) -> list[Event]:
        """Every event after `revision`, oldest first; 410 Gone when it was compacted."""
        if revision < self.compacted_through:
            raise errors.gone(f"too old resource version: {revision}")
        return [e for e in self._history if e.revision > revision]

    def unsubscribe(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def compact(self, revision: int) -> None:
        """Forget history up to `revision`, as etcd compaction does."""
        while self._history and self._history[0].revision <= revision:
            self._history.popleft()
        self.compacted_through = max(self.compacted_through, revision)

    def close_all(self) -> None:
        for watcher in self._watchers:
            watcher.queue.put_nowait(None)
        self._watchers.clear()

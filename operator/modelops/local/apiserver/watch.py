"""The event log behind `?watch=1`: retained history, live fan-out, and 410 Gone.

Each write publishes one event carrying its resourceVersion. A watch from version N
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
    """One change: ADDED, MODIFIED or DELETED, with the object as written."""

    type: str
    obj: Obj
    revision: int
    group: str
    plural: str
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

    def wants(self, event: Event) -> bool:
        return (
            event.group == self.group
            and event.plural == self.plural
            and (self.namespace is None or event.namespace == self.namespace)
            and self.matches(event.obj)
        )


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
            if watcher.wants(event):
                watcher.queue.put_nowait(event)

    def subscribe(self, watcher: Watcher, since: int | None) -> list[Event]:
        """Register `watcher`; return the retained events after `since` that it wants."""
        backlog: list[Event] = []
        if since is not None:
            if since < self.compacted_through:
                raise errors.gone(
                    f"too old resource version: {since} ({self.compacted_through + 1})"
                )
            backlog = [e for e in self._history if e.revision > since and watcher.wants(e)]
        self._watchers.add(watcher)
        return backlog

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

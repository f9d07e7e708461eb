"""A list+watch cache of one resource across all namespaces.

The controllers decide from what they see here, so it must follow the API closely: it
lists, then watches from the list's resourceVersion, resumes a broken watch from the last
version it saw (bookmarks included) and lists again when the server answers 410 Gone.
Writes made by the kubelet itself are folded in at once (``remember``/``forget``), so a
decision made before the watch catches up does not repeat the write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp

from modelops.local.kubelet import objects
from modelops.local.kubelet.client import ApiClient, ApiError, Resource
from modelops.local.kubelet.objects import Obj

log = logging.getLogger(__name__)

RETRY_DELAY = 1.0


class Informer:
    def __init__(self, client: ApiClient, resource: Resource, on_change: Callable[[], None]):
        self.resource = resource
        self.synced = asyncio.Event()
        self._client = client
        self._on_change = on_change
        self._objects: dict[str, Obj] = {}
        self._forgotten: set[str] = set()

    def objects(self) -> list[Obj]:
        return list(self._objects.values())

    def get(self, key: str) -> Obj | None:
        return self._objects.get(key)

    def remember(self, obj: Obj) -> None:
        """Fold in an object the API just returned for one of our writes."""
        current = self._objects.get(objects.key(obj))
        if objects.uid(obj) in self._forgotten:
            return
        if (
            current is None
            or objects.uid(current) != objects.uid(obj)
            or objects.newer(obj, current)
        ):
            self._objects[objects.key(obj)] = obj
        self._on_change()

    def forget(self, obj: Obj) -> None:
        """Drop an object we just deleted; late events about it are ignored."""
        self._forgotten.add(objects.uid(obj))
        current = self._objects.get(objects.key(obj))
        if current is not None and objects.uid(current) == objects.uid(obj):
            del self._objects[objects.key(obj)]
        self._on_change()

    async def run(self) -> None:
        """List and watch until cancelled."""
        while True:
            try:
                version = await self._list()
                while True:
                    version = await self._watch(version)
            except ApiError as exc:
                if exc.status != 410:
                    log.warning("watching %s failed: %s", self.resource.plural, exc)
                    await asyncio.sleep(RETRY_DELAY)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("watching %s failed: %r", self.resource.plural, exc)
                await asyncio.sleep(RETRY_DELAY)

    async def _list(self) -> str:
        listing = await self._client.list(self.resource.collection())
        items = {objects.key(o): o for o in listing.get("items") or []}
        live = {objects.uid(o) for o in items.values()}
        self._forgotten &= live
        self._objects = {k: o for k, o in items.items() if objects.uid(o) not in self._forgotten}
        self.synced.set()
        self._on_change()
        return str(objects.meta(listing).get("resourceVersion", ""))

    async def _watch(self, version: str) -> str:
        async for kind, obj in self._client.watch(self.resource.collection(), version):
            version = str(objects.meta(obj).get("resourceVersion") or version)
            if kind == "BOOKMARK":
                continue
            if kind == "DELETED":
                current = self._objects.get(objects.key(obj))
                if current is not None and objects.uid(current) == objects.uid(obj):
                    del self._objects[objects.key(obj)]
            elif objects.uid(obj) not in self._forgotten:
                current = self._objects.get(objects.key(obj))
                if (
                    current is None
                    or objects.uid(current) != objects.uid(obj)
                    or objects.newer(obj, current)
                ):
                    self._objects[objects.key(obj)] = obj
            self._on_change()
        return version

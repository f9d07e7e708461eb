"""The API as the kubelet's controllers see it: watched caches plus writes that update them.

Controllers read from the caches and write through here, so every write lands in the
cache at once and a dirty flag wakes the reconcile loop. A write that races a deletion
(404, or 409 on a precondition) is not an error: the next pass sees the new state.
"""

from __future__ import annotations

import asyncio
from typing import Any

from modelops.local.kubelet import client, objects
from modelops.local.kubelet.client import ApiClient, Resource
from modelops.local.kubelet.informer import Informer
from modelops.local.kubelet.objects import Obj

WATCHED = (client.PODS, client.JOBS, client.DEPLOYMENTS, client.SERVICES)


class Cluster:
    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.dirty = asyncio.Event()
        self.informers = {r: Informer(api, r, self.dirty.set) for r in WATCHED}

    def objects(self, resource: Resource) -> list[Obj]:
        return self.informers[resource].objects()

    async def wait_synced(self) -> None:
        await asyncio.gather(*(i.synced.wait() for i in self.informers.values()))

    async def create(self, resource: Resource, namespace: str, body: Obj) -> Obj:
        created = await self.api.create(resource.collection(namespace), body)
        self.informers[resource].remember(created)
        return created

    async def patch(
        self, resource: Resource, obj: Obj, body: dict[str, Any], subresource: str | None = None
    ) -> None:
        path = resource.item(objects.namespace(obj), objects.name(obj), subresource)
        patched = await self.api.patch(path, body)
        if patched is not None and resource in self.informers:
            self.informers[resource].remember(patched)

    async def patch_status(self, resource: Resource, obj: Obj, status: dict[str, Any]) -> None:
        """Merge-patch ``status`` through the ``/status`` subresource, if it changes anything."""
        patch = objects.merge_patch(obj.get("status") or {}, status)
        if patch:
            await self.patch(resource, obj, {"status": patch}, "status")

    async def delete(self, resource: Resource, obj: Obj, **options: Any) -> None:
        """Delete this very object (uid precondition), children in the background.

        A 409 means another object holds the name now: ours is already gone.
        """
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
            "preconditions": {"uid": objects.uid(obj)},
            **options,
        }
        try:
            result = await self.api.delete(
                resource.item(objects.namespace(obj), objects.name(obj)), body
            )
        except client.ApiError as exc:
            if exc.status != 409:
                raise
            return
        if resource not in self.informers:
            return
        if result and objects.uid(result) == objects.uid(obj) and objects.is_deleting(result):
            self.informers[resource].remember(result)  # finalizers hold it for now
        else:
            self.informers[resource].forget(obj)

    async def delete_orphans(self, kind: str, owners: list[Obj]) -> None:
        """Delete pods whose controlling ``kind`` owner no longer exists (garbage collection)."""
        alive = {objects.uid(o) for o in owners}
        for pod in self.objects(client.PODS):
            ref = objects.controller_ref(pod)
            orphan = ref and ref.get("kind") == kind and ref.get("uid") not in alive
            if orphan and not objects.is_deleting(pod):
                await self.delete(client.PODS, pod)

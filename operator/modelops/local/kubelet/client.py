"""A thin aiohttp client of the Kubernetes REST API: the kubelet's only network seam.

Plain HTTP without auth, as the local API server serves it. It knows URL layout, verbs,
content types and the watch stream framing, nothing about any kind's semantics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from modelops.local.kubelet.objects import Obj

MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class Resource:
    """A REST resource: ``group_version`` is ``v1`` for the core group, else ``group/version``."""

    group_version: str
    plural: str

    @property
    def _prefix(self) -> str:
        return "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"

    def collection(self, namespace: str | None = None) -> str:
        if namespace is None:
            return f"{self._prefix}/{self.plural}"
        return f"{self._prefix}/namespaces/{namespace}/{self.plural}"

    def item(self, namespace: str, name: str, subresource: str | None = None) -> str:
        path = f"{self.collection(namespace)}/{name}"
        return f"{path}/{subresource}" if subresource else path


PODS = Resource("v1", "pods")
SERVICES = Resource("v1", "services")
SECRETS = Resource("v1", "secrets")
CONFIGMAPS = Resource("v1", "configmaps")
JOBS = Resource("batch/v1", "jobs")
DEPLOYMENTS = Resource("apps/v1", "deployments")


class ApiError(Exception):
    """A non-success answer; ``status`` is the HTTP code (410 means: list again)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class ApiClient:
    """Verbs over one aiohttp session. ``None`` results mean 404 where noted."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            read_bufsize=2**22, timeout=aiohttp.ClientTimeout(total=30)
        )

    async def close(self) -> None:
        await self._session.close()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Obj | None:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        async with self._session.request(
            method, self._base + path, data=data, params=params, headers=headers
        ) as resp:
            raw = await resp.read()
            if resp.status == 404:
                return None
            if resp.status >= 400:
                raise ApiError(resp.status, _message(raw))
            result: Obj = orjson.loads(raw) if raw else {}
            return result

    async def get(self, path: str) -> Obj | None:
        """The object at ``path``, or None if it does not exist."""
        return await self._request("GET", path)

    async def list(self, path: str) -> Obj:
        result = await self._request("GET", path)
        if result is None:
            raise ApiError(404, f"{path} is not served")
        return result

    async def create(self, path: str, body: Mapping[str, Any]) -> Obj:
        result = await self._request("POST", path, body=body)
        if result is None:
            raise ApiError(404, f"{path} is not served")
        return result

    async def patch(self, path: str, body: Mapping[str, Any]) -> Obj | None:
        """A JSON merge patch; ``path`` may end in a subresource such as ``/status``."""
        return await self._request("PATCH", path, body=body, content_type=MERGE_PATCH)

    async def delete(self, path: str, body: Mapping[str, Any] | None = None) -> Obj | None:
        """Delete with optional DeleteOptions (propagationPolicy, preconditions, grace)."""
        return await self._request("DELETE", path, body=body)

    async def watch(self, path: str, resource_version: str) -> AsyncIterator[tuple[str, Obj]]:
        """Events after ``resource_version`` until the server ends the stream.

        An ``ERROR`` event is raised as ApiError with the code it carries (410: too old).
        """
        params = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "300",
        }
        timeout = aiohttp.ClientTimeout(total=None, sock_read=360)
        async with self._session.get(self._base + path, params=params, timeout=timeout) as resp:
            if resp.status >= 400:
                raise ApiError(resp.status, _message(await resp.read()))
            async for line in resp.content:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                obj: Obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    raise ApiError(int(obj.get("code") or 500), str(obj.get("message", "")))
                yield str(event.get("type")), obj


def _message(raw: bytes) -> str:
    try:
        return str(orjson.loads(raw).get("message", raw.decode(errors="replace")))
    except (orjson.JSONDecodeError, AttributeError):
        return raw.decode(errors="replace")[:500]

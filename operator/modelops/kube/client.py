"""``Kube``: an async client of the Kubernetes REST API for whole objects.

Built from the same credentials kopf logs in with (in-cluster service account or
kubeconfig), so the operator's own calls and kopf's watches go to one server as
one identity. Every call returns plain dicts as the API serves them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import tempfile
import time
from collections.abc import Mapping
from typing import Any, Self

import aiohttp
import kopf

from modelops.kube import errors
from modelops.kube.resources import resource

Obj = dict[str, Any]

FIELD_MANAGER = "modelops"
_RETRIED_STATUSES = (429, 500, 502, 503, 504)
#: How long an answer of ``kind_exists`` is reused.
KIND_CACHE_SECONDS = 60.0


class Kube:
    """Calls to one API server. Create with ``Kube.connect(info)``; close with ``close()``."""

    def __init__(self, session: aiohttp.ClientSession, server: str, retries: int = 5) -> None:
        self._session = session
        self._server = server.rstrip("/")
        self._retries = retries
        self._kinds: dict[tuple[str, str], tuple[float, bool]] = {}

    @classmethod
    def connect(cls, info: kopf.ConnectionInfo) -> Self:
        """A client using the server and credentials of ``info``."""
        headers = {"Accept": "application/json", "User-Agent": "modelops-operator"}
        if info.token:
            headers["Authorization"] = f"{info.scheme or 'Bearer'} {info.token}"
        auth = None
        if info.username and info.password:
            auth = aiohttp.BasicAuth(info.username, info.password)
        connector = aiohttp.TCPConnector(ssl=_ssl_context(info), limit=32)
        session = aiohttp.ClientSession(
            headers=headers,
            auth=auth,
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=60),
        )
        return cls(session, info.server)

    async def close(self) -> None:
        await self._session.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if data is not None else {}
        delay = 0.2
        for attempt in range(self._retries + 1):
            async with self._session.request(
                method, self._server + path, data=data, params=params, headers=headers
            ) as response:
                if response.status < 300:
                    return await response.json(content_type=None)
                text = await response.text()
                retry_after = response.headers.get("Retry-After")
            if response.status in _RETRIED_STATUSES and attempt < self._retries:
                wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
                await asyncio.sleep(min(wait, 5.0))
                delay *= 2
                continue
            try:
                decoded: Any = json.loads(text)
            except ValueError:
                decoded = text
            raise errors.from_response(response.status, decoded)
        raise AssertionError("unreachable")

    async def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj:
        """The object; raises ``errors.NotFound`` when it does not exist."""
        result: Obj = await self._call("GET", resource(api_version, kind).path(namespace, name))
        return result

    async def find(
        self, api_version: str, kind: str, namespace: str | None, name: str
    ) -> Obj | None:
        """The object, or None when it does not exist."""
        try:
            return await self.get(api_version, kind, namespace, name)
        except errors.NotFound:
            return None

    async def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Objects of a kind, in one namespace or all, matching every label given."""
        params = {}
        if labels:
            params["labelSelector"] = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        result = await self._call("GET", resource(api_version, kind).path(namespace), params=params)
        items: list[Obj] = result.get("items") or []
        return items

    async def create(self, obj: Obj) -> Obj:
        """Create ``obj``; raises ``errors.AlreadyExists`` when its name is taken."""
        meta = obj["metadata"]
        path = resource(obj["apiVersion"], obj["kind"]).path(meta.get("namespace"))
        created: Obj = await self._call("POST", path, body=obj)
        return created

    async def apply(self, obj: Obj) -> Obj:
        """Server-side apply ``obj``: create it, or make its fields ours and as given."""
        meta = obj["metadata"]
        path = resource(obj["apiVersion"], obj["kind"]).path(meta.get("namespace"), meta["name"])
        applied: Obj = await self._call(
            "PATCH",
            path,
            body=obj,
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            content_type="application/apply-patch+yaml",
        )
        return applied

    async def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Obj,
        *,
        subresource: str | None = None,
    ) -> Obj:
        """JSON merge-patch an object (or its ``status``/``scale`` subresource)."""
        path = resource(api_version, kind).path(namespace, name)
        if subresource:
            path += f"/{subresource}"
        patched: Obj = await self._call(
            "PATCH", path, body=patch, content_type="application/merge-patch+json"
        )
        return patched

    async def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> bool:
        """Delete with background propagation; False when it was already gone."""
        path = resource(api_version, kind).path(namespace, name)
        try:
            await self._call("DELETE", path, body={"propagationPolicy": "Background"})
        except errors.NotFound:
            return False
        return True

    async def kind_exists(self, api_version: str, kind: str) -> bool:
        """Whether the server serves ``kind`` (e.g. the Prometheus Operator's CRDs).

        Asked on every reconcile, answered from the server at most once a minute: a CRD
        installed or removed is seen within that time.
        """
        key = (api_version, kind)
        now = time.monotonic()
        cached = self._kinds.get(key)
        if cached is not None and now - cached[0] < KIND_CACHE_SECONDS:
            return cached[1]
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            listing = await self._call("GET", prefix)
            served = any(r.get("kind") == kind for r in listing.get("resources", []))
        except errors.NotFound:
            served = False
        self._kinds[key] = (now, served)
        return served


def _ssl_context(info: kopf.ConnectionInfo) -> ssl.SSLContext | bool:
    if not info.server.startswith("https"):
        return False
    context = ssl.create_default_context()
    if info.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if info.ca_path:
        context.load_verify_locations(cafile=str(info.ca_path))
    elif info.ca_data:
        context.load_verify_locations(cadata=_text(info.ca_data))
    if info.certificate_path and info.private_key_path:
        context.load_cert_chain(str(info.certificate_path), str(info.private_key_path))
    elif info.certificate_data and info.private_key_data:
        with (
            tempfile.NamedTemporaryFile("w", suffix=".crt") as cert,
            tempfile.NamedTemporaryFile("w", suffix=".key") as key,
        ):
            cert.write(_text(info.certificate_data))
            key.write(_text(info.private_key_data))
            cert.flush()
            key.flush()
            context.load_cert_chain(cert.name, key.name)
    return context


def _text(data: str | bytes) -> str:
    """PEM text from kubeconfig data, which may be base64 of the PEM."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.lstrip().startswith(b"-----"):
        return raw.decode()
    return base64.b64decode(raw).decode()

"""The embedded Kubernetes API server: an aiohttp app over the store, started and stopped.

`ApiServer.start(state_dir)` opens (or reopens) the SQLite state, serves discovery,
OpenAPI and every resource URL on 127.0.0.1, and records each request in the audit log.
Middleware turns `ApiError` into `Status` answers and injects configured faults.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from . import audit, discovery, errors, openapi, routing
from .faults import FaultConfig, FaultInjector
from .handlers import PodLogReader, ResourceHandler, respond
from .kinds import Registry
from .objects import Cluster
from .store import Store
from .watch import EventLog

_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def _verb(request: web.Request, target: routing.Target) -> str:
    if request.method == "GET":
        if target.watch_prefix or request.query.get("watch", "").lower() in ("1", "true"):
            return "watch"
        return "get" if target.name else "list"
    if request.method == "DELETE":
        return "delete" if target.name else "deletecollection"
    return _VERBS.get(request.method, request.method.lower())


class ApiServer:
    """A running embedded API; create it with `await ApiServer.start(...)`."""

    def __init__(self, state_dir: Path, faults: FaultConfig | None) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.store = Store(state_dir / "objects.sqlite")
        self.registry = Registry()
        self.cluster = Cluster(self.store, self.registry, EventLog(self.store.revision))
        self.faults = FaultInjector(faults)
        self.handler = ResourceHandler(self.cluster, self.faults)
        self._audit = audit.AuditLog(state_dir / "audit.jsonl")
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def audit(self) -> list[audit.AuditRecord]:
        """Every request served so far, oldest first."""
        return self._audit.records

    @property
    def pod_logs(self) -> PodLogReader | None:
        """Where `pods/log` reads container logs from (set by whoever runs the pods)."""
        return self.handler.pod_logs

    @pod_logs.setter
    def pod_logs(self, reader: PodLogReader | None) -> None:
        self.handler.pod_logs = reader

    @classmethod
    async def start(
        cls,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
    ) -> ApiServer:
        """Open the state in `state_dir` and serve it; port 0 picks a free port."""
        server = cls(state_dir, faults)
        app = web.Application(middlewares=[server._middleware], client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{path:.*}", server._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        server._runner = runner
        bound_port = runner.addresses[0][1]
        server.url = f"http://{host}:{bound_port}"
        return server

    async def stop(self) -> None:
        """Close every watch, stop serving and close the state files."""
        self.cluster.log.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.store.close()
        self._audit.close()

    def compact(self) -> None:
        """Drop watch history up to now, as etcd compaction does (older watches get 410)."""
        self.cluster.log.compact(self.store.revision)

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        target = routing.parse(request.path)
        code = 500
        try:
            if target is not None:
                delay = self.faults.delay()
                if delay:
                    await asyncio.sleep(delay)
                self.faults.check(request.method)
            response = await handler(request)
            code = response.status
            return response
        except errors.ApiError as exc:
            code = exc.code
            answer = respond(exc.status(), status=exc.code)
            if exc.retry_after is not None:
                answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        finally:
            if target is not None:
                self._audit.add(
                    audit.record(
                        _verb(request, target),
                        target.audit_key(),
                        request.headers.get("User-Agent", ""),
                        code,
                        request.path,
                    )
                )

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        target = routing.parse(path)
        if target is not None:
            return await self.handler.handle(request, target)
        if path in ("/healthz", "/readyz", "/livez") and request.method == "GET":
            return web.Response(text="ok", content_type="text/plain")
        if request.method != "GET":
            raise errors.method_not_allowed(f"{request.method} is not allowed on {path}")
        document = self._document(path)
        if document is None:
            raise errors.no_such_resource(path)
        return respond(document)

    def _document(self, path: str) -> dict[str, object] | None:
        """Discovery, version, health and OpenAPI documents by path."""
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return discovery.VERSION_INFO
        if path == "/api":
            return discovery.api_versions(self.url.removeprefix("http://"))
        if path == "/apis":
            return discovery.api_group_list(self.registry)
        if parts[:1] == ["api"] and len(parts) == 2:
            return discovery.resource_list(self.registry, "", parts[1])
        if parts[:1] == ["apis"] and len(parts) == 2:
            return discovery.api_group(self.registry, parts[1])
        if parts[:1] == ["apis"] and len(parts) == 3:
            return discovery.resource_list(self.registry, parts[1], parts[2])
        if path == "/openapi/v3":
            return openapi.index(self.registry)
        if parts[:2] == ["openapi", "v3"]:
            return openapi.group_version_document(self.registry, "/".join(parts[2:]))
        return None

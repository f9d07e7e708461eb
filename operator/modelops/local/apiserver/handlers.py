"""HTTP handlers for resource URLs: decode the request, call `Cluster`, encode the answer.

Bodies are JSON or YAML (apply patches are YAML); lists carry their kind and a real
resourceVersion; `Accept: ...;as=Table` answers with a Table; `?watch=1` streams events
(see `stream_watch`). Everything that can go wrong raises `ApiError`, answered as a
Kubernetes `Status` by the server's middleware.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import yaml
from aiohttp import web

from . import errors, paging, patch, protobuf, reviews, selectors, tables, views
from .faults import FaultInjector
from .kinds import ResourceType
from .objects import Cluster
from .routing import Target
from .watch import Event, Watcher

Obj = dict[str, Any]
PodLogReader = Callable[[str, str, str | None], str]
"""(namespace, pod, container or None) -> the container's log text."""

_JSON_TYPES = ("application/json", "")
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", patch.APPLY_PATCH)
_DEFAULT_WATCH_SECONDS = 1800.0
_LOG_POLL_SECONDS = 0.2
_NO_KUBELET = ("exec", "attach", "portforward", "proxy", "ephemeralcontainers", "eviction")


def respond(body: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    response = web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
    for warning in warnings or []:
        escaped = warning.replace('"', '\\"')
        response.headers.add("Warning", f'299 - "{escaped}"')
    return response


async def read_body(request: web.Request, allowed: tuple[str, ...]) -> Any:
    content_type = request.content_type if request.headers.get("Content-Type") else ""
    if content_type not in allowed:
        raise errors.unsupported_media_type(content_type)
    raw = await request.read()
    if content_type == protobuf.PROTOBUF:
        return protobuf.decode(raw)
    try:
        if content_type in _YAML_TYPES:
            return yaml.safe_load(raw)
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"the request body could not be decoded: {exc}") from exc


def _wants_table(request: web.Request) -> bool:
    return views.wants_table(request.headers.get("Accept", ""))


def _wants_metadata(request: web.Request) -> bool:
    return views.wants_metadata(request.headers.get("Accept", ""))


def _matcher(
    request: web.Request, rtype: ResourceType, fields: str | None = None
) -> selectors.Matcher:
    supported = selectors.supported_fields(rtype.group, rtype.plural)
    given = request.query.get("fieldSelector") if fields is None else fields
    return selectors.matcher(request.query.get("labelSelector"), given, supported)


def _manager(request: web.Request) -> str:
    """The fieldManager, or the User-Agent up to its first `/` as Kubernetes defaults it."""
    given = request.query.get("fieldManager")
    if given:
        return given
    agent = request.headers.get("User-Agent", "").split("/", 1)[0].strip()
    return agent[:128] or "unknown"


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true")


class ResourceHandler:
    """Serves every resource URL of the embedded API."""

    def __init__(
        self, cluster: Cluster, faults: FaultInjector, bookmark_seconds: float = 5.0
    ) -> None:
        self.cluster = cluster
        self.faults = faults
        self.bookmark_seconds = bookmark_seconds
        self.pod_logs: PodLogReader | None = None

    def resolve(self, target: Target) -> ResourceType:
        rtype = self.cluster.registry.get(target.group, target.version, target.plural)
        if (target.group, target.plural) == ("", "pods") and target.subresource in _NO_KUBELET:
            raise errors.ApiError(
                400,
                "BadRequest",
                f"pods/{target.subresource} is not supported by the local kubelet of modelops: "
                "containers run as local processes without images; read their output with "
                "kubectl logs and reach a serving pod through its Service's loopback port",
            )
        if rtype is None:
            raise errors.no_such_resource(
                f"{target.group or 'core'}/{target.version}, Resource={target.plural}"
            )
        if target.subresource is not None and target.subresource not in rtype.subresources:
            raise errors.no_such_resource(f"{rtype.qualified}/{target.subresource}")
        if target.namespace is not None and not rtype.namespaced:
            raise errors.no_such_resource(f"{rtype.qualified} is not namespaced")
        return rtype

    async def handle(self, request: web.Request, target: Target) -> web.StreamResponse:
        rtype = self.resolve(target)
        namespace = target.namespace or ""
        method = request.method
        if target.name is None:
            if method == "GET":
                if target.watch_prefix or _flag(request, "watch"):
                    return await self.watch(request, rtype, target.namespace)
                return self.list(request, rtype, target.namespace)
            if method == "POST":
                if rtype.namespaced and target.namespace is None:
                    raise errors.method_not_allowed("create needs a namespace in the URL")
                return await self.create(request, rtype, namespace)
            if method == "DELETE":
                return await self.delete_collection(request, rtype, target.namespace)
            raise errors.method_not_allowed(f"{method} is not supported on a collection")
        if rtype.namespaced and target.namespace is None:
            raise errors.no_such_resource(f"{rtype.qualified} needs a namespace")
        if target.watch_prefix:
            return await self.watch(request, rtype, target.namespace, target.name)
        if target.subresource == "scale":
            return await self.scale(request, rtype, namespace, target.name)
        if target.subresource == "log":
            return await self.log(request, namespace, target.name)
        if method == "GET":
            obj = self.cluster.get(rtype, namespace, target.name)
            if _wants_table(request):
                table = tables.table(
                    rtype, [obj], obj["metadata"]["resourceVersion"], self._include(request)
                )
                return respond(table)
            if _wants_metadata(request):
                return respond(views.partial(obj))
            return respond(obj)
        if method == "PUT":
            body = await read_body(request, (*_JSON_TYPES, *_YAML_TYPES[:3]))
            if not isinstance(body, dict):
                raise errors.bad_request("the request body must be an object")
            obj, warnings = self.cluster.update(
                rtype,
                namespace,
                target.name,
                body,
                subresource=target.subresource,
                **self._write_options(request),
            )
            return respond(obj, warnings=warnings)
        if method == "PATCH":
            content_type = request.content_type
            body = await read_body(request, patch.PATCH_TYPES)
            options = self._write_options(request)
            existed = True
            if content_type == patch.APPLY_PATCH:
                options["manager"] = request.query.get("fieldManager") or None
                options["force"] = _flag(request, "force")
                existed = (
                    self.cluster.store.get(self.cluster.key(rtype, namespace, target.name))
                    is not None
                )
            obj, warnings = self.cluster.patch(
                rtype,
                namespace,
                target.name,
                content_type,
                body,
                subresource=target.subresource,
                **options,
            )
            return respond(obj, status=200 if existed else 201, warnings=warnings)
        if method == "DELETE":
            if target.subresource is not None:
                raise errors.method_not_allowed("DELETE is not supported on a subresource")
            return await self.delete(request, rtype, namespace, target.name)
        raise errors.method_not_allowed(f"{method} is not supported on an object")

    def _write_options(self, request: web.Request) -> dict[str, Any]:
        return {
            "strict": request.query.get("fieldValidation", "") == "Strict",
            "manager": _manager(request),
            "dry_run": request.query.get("dryRun") == "All",
        }

    @staticmethod
    def _include(request: web.Request) -> str:
        return request.query.get("includeObject", "Metadata")

    def list(
        self, request: web.Request, rtype: ResourceType, namespace: str | None
    ) -> web.Response:
        matches = _matcher(request, rtype)
        size = paging.limit(request.query.get("limit"))
        token = request.query.get("continue")
        after: paging.Key | None = None
        if token:
            revision, after = paging.decode(token)
            try:
                items = self.cluster.snapshot(rtype, namespace, matches, revision)
            except errors.ApiError as exc:
                raise paging.expired() from exc
        else:
            items, revision = self.cluster.select(rtype, namespace, matches)
        items, last, remaining = paging.page(items, after, size)
        meta: Obj = {"resourceVersion": str(revision)}
        if last is not None:
            meta["continue"] = paging.encode(revision, last)
            meta["remainingItemCount"] = remaining
        if _wants_table(request):
            table = tables.table(rtype, items, str(revision), self._include(request))
            table["metadata"] = meta
            return respond(table)
        if _wants_metadata(request):
            return respond(views.partial_list(items, meta))
        return respond(
            {
                "kind": rtype.list_kind,
                "apiVersion": rtype.api_version,
                "metadata": meta,
                "items": items,
            }
        )

    async def create(
        self, request: web.Request, rtype: ResourceType, namespace: str
    ) -> web.Response:
        body = await read_body(request, (*_JSON_TYPES, *_YAML_TYPES[:3], protobuf.PROTOBUF))
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be an object")
        if rtype.is_review:
            return respond(reviews.answer(rtype, body), status=201)
        obj, warnings = self.cluster.create(rtype, namespace, body, **self._write_options(request))
        return respond(obj, status=201, warnings=warnings)

    async def _delete_options(self, request: web.Request) -> Obj:
        options: Obj = {}
        if request.can_read_body:
            body = await read_body(request, (*_JSON_TYPES, *_YAML_TYPES[:3]))
            if isinstance(body, dict):
                options = body
        if "propagationPolicy" in request.query:
            options["propagationPolicy"] = request.query["propagationPolicy"]
        if "gracePeriodSeconds" in request.query:
            try:
                options["gracePeriodSeconds"] = int(request.query["gracePeriodSeconds"])
            except ValueError as exc:
                raise errors.bad_request("gracePeriodSeconds must be an integer") from exc
        return options

    async def delete(
        self, request: web.Request, rtype: ResourceType, namespace: str, name: str
    ) -> web.Response:
        options = await self._delete_options(request)
        obj = self.cluster.delete(
            rtype, namespace, name, options, dry_run=request.query.get("dryRun") == "All"
        )
        if rtype.returns_deleted or obj["metadata"].get("deletionTimestamp"):
            return respond(obj)
        return respond(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": name,
                    "group": rtype.group,
                    "kind": rtype.plural,
                    "uid": obj["metadata"]["uid"],
                },
            }
        )

    async def delete_collection(
        self, request: web.Request, rtype: ResourceType, namespace: str | None
    ) -> web.Response:
        options = await self._delete_options(request)
        matches = _matcher(request, rtype)
        items, _ = self.cluster.select(rtype, namespace, matches)
        deleted = [
            self.cluster.delete(
                rtype, o["metadata"].get("namespace", ""), o["metadata"]["name"], options
            )
            for o in items
        ]
        return respond(
            {
                "kind": rtype.list_kind,
                "apiVersion": rtype.api_version,
                "metadata": {"resourceVersion": str(self.cluster.store.revision)},
                "items": deleted,
            }
        )

    async def scale(
        self, request: web.Request, rtype: ResourceType, namespace: str, name: str
    ) -> web.Response:
        if request.method == "GET":
            return respond(self.cluster.scale(rtype, namespace, name))
        if request.method == "PUT":
            body = await read_body(request, (*_JSON_TYPES, *_YAML_TYPES[:3]))
        elif request.method == "PATCH":
            content_type = request.content_type
            if content_type == patch.APPLY_PATCH:
                raise errors.unsupported_media_type(content_type)
            change = await read_body(request, patch.PATCH_TYPES)
            current = self.cluster.scale(rtype, namespace, name)
            if content_type == patch.JSON_PATCH:
                body = patch.json_patch(current, change)
            else:
                body = patch.merge_patch(current, change)
        else:
            raise errors.method_not_allowed(f"{request.method} is not supported on scale")
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a Scale object")
        return respond(self.cluster.set_scale(rtype, namespace, name, body, _manager(request)))

    async def log(self, request: web.Request, namespace: str, name: str) -> web.StreamResponse:
        """A container's log; `follow=true` streams what it writes until the pod ends."""
        if request.method != "GET":
            raise errors.method_not_allowed("pods/log only supports GET")
        for unsupported in ("previous", "timestamps"):
            if _flag(request, unsupported):
                raise errors.bad_request(
                    f"{unsupported}=true is not supported by the local kubelet of modelops: "
                    "it keeps one untimestamped log file per pod"
                )
        pods = self.cluster.registry.get("", "v1", "pods")
        assert pods is not None
        pod = self.cluster.get(pods, namespace, name)
        container = request.query.get("container")
        whole = self.pod_logs(namespace, name, container) if self.pod_logs else ""
        text = whole
        if "tailLines" in request.query:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[len(lines) - int(request.query["tailLines"]) :])
        if not _flag(request, "follow"):
            return web.Response(text=text, content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(text.encode())
        sent = len(whole)
        uid = pod["metadata"]["uid"]
        try:
            while self.pod_logs is not None:
                current = self.cluster.store.get(self.cluster.key(pods, namespace, name))
                whole = self.pod_logs(namespace, name, container)
                if len(whole) > sent:
                    await response.write(whole[sent:].encode())
                    sent = len(whole)
                if current is None or current["metadata"]["uid"] != uid:
                    break
                if (current.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    break
                await asyncio.sleep(_LOG_POLL_SECONDS)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def watch(
        self,
        request: web.Request,
        rtype: ResourceType,
        namespace: str | None,
        name: str | None = None,
    ) -> web.StreamResponse:
        fields = request.query.get("fieldSelector")
        if name is not None:
            fields = f"metadata.name={name}" + (f",{fields}" if fields else "")
        matches = _matcher(request, rtype, fields or "")
        since_text = request.query.get("resourceVersion", "")
        if since_text and not since_text.isdigit():
            raise errors.bad_request(f"invalid resource version: {since_text!r}")
        since = int(since_text) if since_text and since_text != "0" else None
        timeout = float(request.query.get("timeoutSeconds") or _DEFAULT_WATCH_SECONDS)
        bookmarks = _flag(request, "allowWatchBookmarks")
        as_table = _wants_table(request)
        as_metadata = _wants_metadata(request)
        initial_events = _flag(request, "sendInitialEvents")
        if initial_events:
            since = None
        include = self._include(request)
        watcher = Watcher(
            rtype.group, rtype.plural, namespace if rtype.namespaced else None, matches
        )
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()

        def encode(event: Event) -> bytes:
            obj = self.cluster.present(rtype, event.obj)
            if as_table:
                shown = tables.table(rtype, [obj], obj["metadata"]["resourceVersion"], include)
                return orjson.dumps({"type": event.type, "object": shown}) + b"\n"
            if as_metadata:
                return orjson.dumps({"type": event.type, "object": views.partial(obj)}) + b"\n"
            if obj is event.obj:
                return event.line()
            return orjson.dumps({"type": event.type, "object": obj}) + b"\n"

        try:
            if self.faults.expire_watch():
                raise errors.gone("injected fault: too old resource version")
            backlog = self.cluster.log.subscribe(watcher, since)
        except errors.ApiError as exc:
            await response.prepare(request)
            await response.write(orjson.dumps({"type": "ERROR", "object": exc.status()}) + b"\n")
            await response.write_eof()
            return response
        revision = self.cluster.store.revision
        if since is None:
            items, revision = self.cluster.select(rtype, namespace, matches)
            backlog = [Event("ADDED", o, revision, rtype.group, rtype.plural) for o in items]
        try:
            await response.prepare(request)
            for event in backlog:
                await response.write(encode(event))
            if initial_events:
                await response.write(_bookmark(rtype, revision, initial_events_end=True))
            deadline = time.monotonic() + timeout
            await self._stream(request, response, watcher, encode, deadline, bookmarks, rtype)
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self.cluster.log.unsubscribe(watcher)
        return response

    async def _stream(
        self,
        request: web.Request,
        response: web.StreamResponse,
        watcher: Watcher,
        encode: Callable[[Event], bytes],
        deadline: float,
        bookmarks: bool,
        rtype: ResourceType,
    ) -> None:
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(
                    watcher.queue.get(), min(remaining, self.bookmark_seconds)
                )
            except TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    return
                if bookmarks and time.monotonic() < deadline:
                    await response.write(_bookmark(rtype, self.cluster.store.revision))
                continue
            if event is None or self.faults.drop_watch():
                return
            await response.write(encode(event))
        await response.write_eof()


def _bookmark(rtype: ResourceType, revision: int, initial_events_end: bool = False) -> bytes:
    """A BOOKMARK event; the one closing sendInitialEvents' state carries the annotation."""
    meta: Obj = {"resourceVersion": str(revision)}
    if initial_events_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta}
    return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

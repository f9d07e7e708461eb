"""The aiohttp application: Open Inference Protocol (V2) REST routes and /metrics.

Routes (``{name}`` is the served model's name, ``{version}`` its version number)::

    GET  /v2/health/live                              200 while the process answers
    GET  /v2/health/ready                             200 when ready, else 503 + reason
    GET  /v2                                          server metadata
    GET  /v2/models                                   what is served (an extension)
    POST /v2/repository/index                         the same, as Triton answers it
    GET  /v2/models/{name}[/versions/{version}]       model metadata
    GET  /v2/models/{name}[/versions/{version}]/ready
    POST /v2/models/{name}[/versions/{version}]/infer
    GET  /metrics                                     Prometheus text

``GET /v2/`` answers as ``GET /v2``. Errors are JSON ``{"error": "<message>"}``, an
unknown path's 404 and a wrong method's 405 (with ``Allow``) included. Inference runs
inline: it is sub-millisecond, and an executor hop would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from modelops import __version__
from modelops.runtime.serve import protocol
from modelops.runtime.serve.config import ServeConfig
from modelops.runtime.serve.lifecycle import Lifecycle, Phase
from modelops.runtime.serve.metrics import ServingMetrics
from modelops.runtime.serve.model import PLATFORM, Model, OverBudget
from modelops.runtime.serve.payloads import PayloadLogger

log = logging.getLogger(__name__)

LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
METRICS = web.AppKey("metrics", ServingMetrics)

#: Media types an infer body may declare (curl -d sends form-urlencoded, as KServe's docs do).
INFER_CONTENT_TYPES = frozenset(
    {"application/json", "application/octet-stream", "application/x-www-form-urlencoded"}
)
_JSON = {"Content-Type": "application/json"}


def json_response(status: int, value: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(value), headers=_JSON)


def error_response(status: int, message: str) -> web.Response:
    return json_response(status, {"error": message})


class Routes:
    """Request handlers of one server."""

    def __init__(self, config: ServeConfig, lifecycle: Lifecycle, metrics: ServingMetrics):
        self._config = config
        self._lifecycle = lifecycle
        self._metrics = metrics
        self._version = config.version_label
        self._limits = protocol.Limits(config.max_batch_size, config.allow_non_finite)
        self._too_large = f"request body over the limit of {config.max_body_bytes} bytes"
        self.payloads = (
            PayloadLogger(
                config.payload_log_uri,
                config.payload_sample_rate,
                config.payload_flush_rows,
                config.payload_flush_seconds,
                (config.model_name, self._version),
            )
            if config.payload_log_uri
            else None
        )

    async def live(self, request: web.Request) -> web.Response:
        return json_response(200, {"live": True})

    async def ready(self, request: web.Request) -> web.Response:
        if self._lifecycle.ready:
            return json_response(200, {"ready": True})
        return json_response(503, {"ready": False, "error": self._lifecycle.reason})

    async def server_metadata(self, request: web.Request) -> web.Response:
        return json_response(
            200, {"name": "modelops", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    async def models(self, request: web.Request) -> web.Response:
        return json_response(200, {"models": [self._model_entry()]})

    async def repository_index(self, request: web.Request) -> web.Response:
        return json_response(200, [self._model_entry()])

    def _model_entry(self) -> dict[str, Any]:
        lifecycle = self._lifecycle
        state = {Phase.LOADING: "LOADING", Phase.FAILED: "UNAVAILABLE"}.get(
            lifecycle.phase, "READY"
        )
        entry = {"name": self._config.model_name, "version": self._version, "state": state}
        if lifecycle.phase is Phase.FAILED:
            entry["reason"] = lifecycle.reason
        return entry

    def _unknown_model(self, request: web.Request) -> web.Response | None:
        name = request.match_info["name"]
        if name != self._config.model_name:
            return error_response(
                404,
                f"model '{name}' is not served here (this server serves "
                f"'{self._config.model_name}')",
            )
        version = request.match_info.get("version")
        if version is not None and version != self._version:
            return error_response(
                404, f"model '{name}' has no version '{version}' here (serving {self._version})"
            )
        return None

    def _serving_model(self) -> Model | None:
        lifecycle = self._lifecycle
        if lifecycle.phase in (Phase.READY, Phase.DRAINING):
            return lifecycle.model
        return None

    async def model_metadata(self, request: web.Request) -> web.Response:
        unknown = self._unknown_model(request)
        if unknown is not None:
            return unknown
        model = self._lifecycle.model
        if model is None:
            return error_response(503, f"model not loaded: {self._lifecycle.reason}")
        return json_response(
            200,
            {
                "name": self._config.model_name,
                "versions": [self._version],
                "platform": PLATFORM,
                "inputs": [spec.metadata() for spec in model.inputs.values()],
                "outputs": [spec.metadata() for spec in model.outputs.values()],
            },
        )

    async def model_ready(self, request: web.Request) -> web.Response:
        unknown = self._unknown_model(request)
        if unknown is not None:
            return unknown
        return await self.ready(request)

    async def infer(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        lifecycle = self._lifecycle
        lifecycle.request_started()
        try:
            response = await self._infer(request)
        finally:
            lifecycle.request_finished()
        self._metrics.observe_request(response.status, time.perf_counter() - started)
        return response

    async def _infer(self, request: web.Request) -> web.Response:
        unknown = self._unknown_model(request)
        if unknown is not None:
            return unknown
        model = self._serving_model()
        if model is None:
            return error_response(503, f"model not ready: {self._lifecycle.reason}")
        content_type = request.headers.get("Content-Type")
        if content_type is not None:
            media_type = content_type.partition(";")[0].strip().lower()
            if media_type not in INFER_CONTENT_TYPES:
                return error_response(
                    400, f"content type {media_type!r} is not supported; send application/json"
                )
        if (request.content_length or 0) > self._config.max_body_bytes:
            return error_response(413, self._too_large)
        try:
            if request.content.is_eof():  # the whole body came with the headers, as usual
                body = await request.read()
            else:
                async with asyncio.timeout(self._config.body_timeout):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, self._too_large)
        except TimeoutError:
            return error_response(
                408, f"the request body took over {self._config.body_timeout:g} s to arrive"
            )
        try:
            header_length = protocol.parse_header_length(
                request.headers.get(protocol.HEADER_LENGTH), len(body)
            )
            parsed = protocol.parse_infer_request(body, header_length, model, self._limits)
        except protocol.InferenceError as error:
            return error_response(error.status, error.message)
        return self._run(model, parsed)

    def _run(self, model: Model, parsed: protocol.InferRequest) -> web.Response:
        prediction = self._lifecycle.prediction
        names = parsed.outputs
        if prediction is not None and prediction[0] not in names:
            names = [*names, prediction[0]]
        try:
            arrays = model.run(parsed.inputs, names)
        except OverBudget as error:
            log.warning("stopped an inference: %s", error)
            return error_response(
                504, f"{error} (the server's --infer-timeout); send fewer rows per request"
            )
        except Exception as error:
            # The inputs passed validation; what onnxruntime still refuses is the
            # request's fault (a value outside what the graph handles), not the server's.
            log.warning("inference failed on a validated request: %s", error)
            return error_response(400, f"inference failed: {error}")
        metrics = self._metrics
        metrics.observe_batch(parsed.batch_size)
        if prediction is not None:
            predicted = arrays[names.index(prediction[0])]
            if prediction[1] == "class":
                metrics.observe_classes(predicted)
            else:
                metrics.observe_values(predicted)
        drift = self._lifecycle.drift
        if drift is not None:
            drift.observe(parsed.inputs)
        if self.payloads is not None:
            self.payloads.maybe_log(
                parsed.id, parsed.inputs, dict(zip(names, arrays, strict=True)), parsed.batch_size
            )
        body, header_length = protocol.encode_response(
            self._config.model_name,
            self._version,
            parsed,
            model.outputs,
            arrays[: len(parsed.outputs)],
        )
        if header_length is None:
            return web.Response(body=body, headers=_JSON)
        return web.Response(
            body=body,
            headers={
                "Content-Type": "application/octet-stream",
                protocol.HEADER_LENGTH: str(header_length),
            },
        )

    async def unrouted(self, request: web.Request) -> web.Response:
        """404 or 405 as JSON, for what no route takes (the last, catch-all route)."""
        allowed: set[str] = set()
        for resource in request.app.router.resources():
            if resource is not request.match_info.route.resource:
                allowed |= (await resource.resolve(request))[1]
        if allowed:
            methods = ", ".join(sorted(allowed))
            return web.Response(
                status=405,
                body=orjson.dumps(
                    {"error": f"{request.method} is not allowed on {request.path}; use {methods}"}
                ),
                headers={**_JSON, "Allow": methods},
            )
        return error_response(404, f"no such path: {request.path} (the V2 API is under /v2)")

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def create_app(config: ServeConfig) -> web.Application:
    """The server as an aiohttp application; it starts loading the model on startup."""
    metrics = ServingMetrics(config.model_name, config.version_label, config.digest)
    lifecycle = Lifecycle(config, metrics)

    async def close_when_draining(request: web.Request, response: web.StreamResponse) -> None:
        # A keep-alive client would otherwise send its next request down a connection
        # that dies with this process; "Connection: close" sends it to another replica.
        # A response hook, not a middleware: that would wrap every request in two more
        # coroutines, ~6% of the requests/s at batch 1. The hook runs after the headers
        # are prepared, so it writes the header as well as ending keep-alive.
        if lifecycle.phase is Phase.DRAINING:
            response.force_close()
            response.headers["Connection"] = "close"

    app = web.Application(client_max_size=config.max_body_bytes)
    app.on_response_prepare.append(close_when_draining)
    routes = Routes(config, lifecycle, metrics)
    app[METRICS] = metrics
    app[LIFECYCLE] = lifecycle
    model = "/v2/models/{name}"
    versioned = "/v2/models/{name}/versions/{version}"
    # aiohttp tries the routes under /v2/models in the order they were added, a regular
    # expression each: infer, the one on the hot path, comes first.
    for prefix in (model, versioned):
        app.router.add_post(f"{prefix}/infer", routes.infer)
    app.router.add_get("/v2/health/live", routes.live)
    app.router.add_get("/v2/health/ready", routes.ready)
    app.router.add_get("/v2", routes.server_metadata)
    app.router.add_get("/v2/", routes.server_metadata)  # the path the specification lists
    app.router.add_get("/v2/models", routes.models)
    app.router.add_post("/v2/repository/index", routes.repository_index)
    for prefix in (model, versioned):
        app.router.add_get(prefix, routes.model_metadata)
        app.router.add_get(f"{prefix}/ready", routes.model_ready)
    app.router.add_get("/metrics", routes.metrics)
    app.router.add_route("*", "/{path:.*}", routes.unrouted)  # last: what nothing else takes

    async def start(app: web.Application) -> Any:
        loading = asyncio.create_task(lifecycle.load())
        if routes.payloads is not None:
            routes.payloads.start()
        yield
        loading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loading
        if routes.payloads is not None:
            await routes.payloads.close()

    app.cleanup_ctx.append(start)
    return app

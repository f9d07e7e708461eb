"""The kube seam's retries, against a scripted HTTP server on loopback.

Throttling (429, with Retry-After) and server errors (5xx) are retried with backoff;
a conflict (409) or a missing object (404) is answered at once, as an error the
controllers act on; retries give up after the budget with the server's reason.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from modelops.kube import errors
from modelops.kube.client import Kube

Answer = tuple[int, dict[str, Any], dict[str, str]]


class Scripted:
    """Answers requests from a script, one entry per request, then 200 for all."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.seen: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(time.monotonic())
        status, body, headers = self.script.pop(0) if self.script else (200, _cm(), {})
        return web.json_response(body, status=status, headers=headers)


def _cm() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}


def _status(code: int, reason: str) -> dict[str, Any]:
    return {"kind": "Status", "code": code, "reason": reason, "message": f"{reason} happened"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[Scripted, Kube]]:
    scripted = Scripted()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", scripted.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession()
    yield scripted, Kube(session, f"http://127.0.0.1:{port}", retries=3)
    await session.close()
    await runner.cleanup()


Call = Callable[[Kube], Any]
GET: Call = lambda kube: kube.get("v1", "ConfigMap", "n", "c")  # noqa: E731


async def test_throttling_is_retried_after_the_time_the_server_asks(
    served: tuple[Scripted, Kube],
) -> None:
    scripted, kube = served
    scripted.script = [(429, _status(429, "TooManyRequests"), {"Retry-After": "1"})]
    assert (await GET(kube))["metadata"]["name"] == "c"
    assert len(scripted.seen) == 2
    assert scripted.seen[1] - scripted.seen[0] >= 0.9


async def test_server_errors_are_retried_with_backoff(served: tuple[Scripted, Kube]) -> None:
    scripted, kube = served
    scripted.script = [(500, _status(500, "InternalError"), {})] * 2 + [
        (503, _status(503, "ServiceUnavailable"), {})
    ]
    assert (await GET(kube))["kind"] == "ConfigMap"
    gaps = [b - a for a, b in zip(scripted.seen, scripted.seen[1:], strict=False)]
    assert len(gaps) == 3
    assert gaps[2] > gaps[0], "each retry waits longer than the one before"


async def test_retries_give_up_with_the_servers_reason(served: tuple[Scripted, Kube]) -> None:
    scripted, kube = served
    scripted.script = [(500, _status(500, "InternalError"), {})] * 4
    with pytest.raises(errors.ApiError) as raised:
        await GET(kube)
    assert raised.value.status == 500
    assert "InternalError" in str(raised.value)
    assert len(scripted.seen) == 4


async def test_a_conflict_is_answered_at_once_never_retried(served: tuple[Scripted, Kube]) -> None:
    scripted, kube = served
    scripted.script = [(409, _status(409, "AlreadyExists"), {})]
    with pytest.raises(errors.AlreadyExists):
        await kube.create(_cm())
    scripted.script = [(409, _status(409, "Conflict"), {})]
    with pytest.raises(errors.Conflict):
        await kube.patch("v1", "ConfigMap", "n", "c", {"data": {}})
    assert len(scripted.seen) == 2


async def test_a_missing_object_is_none_for_find_and_false_for_delete(
    served: tuple[Scripted, Kube],
) -> None:
    scripted, kube = served
    scripted.script = [(404, _status(404, "NotFound"), {})] * 2
    assert await kube.find("v1", "ConfigMap", "n", "c") is None
    assert await kube.delete("v1", "ConfigMap", "n", "c") is False

"""kopf, unchanged, runs against the embedded API: it sees each change exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import kopf

from modelops.local.apiserver import ApiServer

from .conftest import load_fixture

WIDGETS = "/apis/example.dev/v1/namespaces/default/widgets"


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_kopf_operator_sees_create_update_delete_once_and_manages_its_finalizer(
    apiserver: ApiServer,
) -> None:
    calls: list[tuple[str, str]] = []
    registry = kopf.OperatorRegistry()

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=apiserver.url, insecure=True)

    @kopf.on.create("example.dev", "v1", "widgets", registry=registry)
    def created(name: str, **_: Any) -> dict[str, str]:
        calls.append(("create", name))
        return {"seen": "yes"}

    @kopf.on.update("example.dev", "v1", "widgets", registry=registry)
    def updated(name: str, **_: Any) -> None:
        calls.append(("update", name))

    @kopf.on.delete("example.dev", "v1", "widgets", registry=registry)
    def deleted(name: str, **_: Any) -> None:
        calls.append(("delete", name))

    settings = kopf.OperatorSettings()
    settings.watching.server_timeout = 10
    settings.persistence.finalizer = "example.dev/test-finalizer"
    stop = asyncio.Event()
    ready = asyncio.Event()

    async with aiohttp.ClientSession(apiserver.url) as http:
        crd = load_fixture("widgets.example.dev.yaml")
        async with http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd):
            pass
        operator = asyncio.create_task(
            kopf.operator(
                registry=registry,
                settings=settings,
                standalone=True,
                clusterwide=True,
                stop_flag=stop,
                ready_flag=ready,
            )
        )
        try:
            await asyncio.wait_for(ready.wait(), 10)
            widget = load_fixture("widget.yaml")
            async with http.post(WIDGETS, json=widget) as response:
                assert response.status == 201

            async def finalized_and_created() -> bool:
                async with http.get(f"{WIDGETS}/w1") as response:
                    obj = await response.json()
                return ("create", "w1") in calls and "example.dev/test-finalizer" in (
                    obj["metadata"].get("finalizers") or []
                )

            await _eventually(finalized_and_created)
            async with http.patch(
                f"{WIDGETS}/w1",
                json={"spec": {"size": "large"}},
                headers={"Content-Type": "application/merge-patch+json"},
            ) as response:
                assert response.status == 200

            async def update_seen() -> bool:
                return ("update", "w1") in calls

            await _eventually(update_seen)
            async with http.delete(f"{WIDGETS}/w1") as response:
                assert response.status == 200

            async def gone() -> bool:
                async with http.get(f"{WIDGETS}/w1") as response:
                    return response.status == 404

            await _eventually(gone)
            await asyncio.sleep(0.5)  # room for any duplicate handler call to show up
        finally:
            stop.set()
            await asyncio.wait_for(operator, 10)

    assert calls == [("create", "w1"), ("update", "w1"), ("delete", "w1")]

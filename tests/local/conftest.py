"""Fixtures that run the embedded API server, in the test's loop or in a thread of its own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import yaml

from modelops.local.apiserver import ApiServer, write_kubeconfig

FIXTURES = Path(__file__).parent / "fixtures"

Obj = dict[str, Any]


def load_fixture(name: str) -> dict[str, object]:
    """One YAML document from tests/local/fixtures."""
    document = yaml.safe_load((FIXTURES / name).read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture
async def apiserver(tmp_path: Path) -> AsyncIterator[ApiServer]:
    """An API server on a free port, in the test's event loop."""
    server = await ApiServer.start(tmp_path / "state")
    yield server
    await server.stop()


class ThreadedApiServer:
    """An API server running in a background thread with its own event loop, for sync tests."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.server = self.call(ApiServer.start(state_dir))
        self.url = self.server.url

    def call(self, coroutine):  # type: ignore[no-untyped-def]
        """Run a coroutine in the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def threaded_apiserver(tmp_path: Path) -> Iterator[ThreadedApiServer]:
    """An API server in a background thread; `.url` and `.server` for sync clients."""
    running = ThreadedApiServer(tmp_path / "state")
    yield running
    running.stop()


@pytest.fixture
def kubeconfig(tmp_path: Path, threaded_apiserver: ThreadedApiServer) -> Path:
    """A kubeconfig file pointing at `threaded_apiserver`."""
    return write_kubeconfig(tmp_path / "kubeconfig", threaded_apiserver.url)


class Api:
    """A tiny JSON client: every call returns (status, decoded body)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        headers = {"Content-Type": "application/json", **(headers or {})}
        async with self.session.request(method, path, data=data, headers=headers) as response:
            text = await response.read()
            return response.status, json.loads(text) if text else None

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Obj:
        status, answer = await self.call(method, path, body, **kw)
        assert status in (200, 201), (status, answer)
        assert isinstance(answer, dict)
        return answer


@pytest.fixture
async def api(apiserver: ApiServer) -> AsyncIterator[Api]:
    """A JSON client of `apiserver`."""
    async with aiohttp.ClientSession(apiserver.url) as session:
        yield Api(session)


Kubectl = Callable[..., str]
"""run(*args, check=True, stdin=None) -> kubectl's stdout and stderr."""


@pytest.fixture
def kubectl_env(tmp_path: Path, kubeconfig: Path) -> dict[str, str]:
    return {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path / "home")}


@pytest.fixture
def run_kubectl(kubectl_env: dict[str, str]) -> Kubectl:
    """kubectl 1.32 against `threaded_apiserver`, run in tests/local/fixtures."""

    def run(*args: str, check: bool = True, stdin: str | None = None) -> str:
        done = subprocess.run(
            ["kubectl", *args],
            env=kubectl_env,
            capture_output=True,
            text=True,
            timeout=30,
            input=stdin,
            cwd=FIXTURES,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    return run

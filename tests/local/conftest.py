"""Fixtures that run the embedded API server, in the test's loop or in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml

from modelops.local.apiserver import ApiServer, write_kubeconfig

FIXTURES = Path(__file__).parent / "fixtures"


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

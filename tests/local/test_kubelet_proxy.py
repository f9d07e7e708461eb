"""A Service's loopback proxy spreads connections over its backends and skips dead ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from modelops.local.kubelet.proxy import TcpProxy


async def echo_server(tag: bytes) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(100)
        writer.write(tag + b":" + data)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def ask(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hi")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    opened = await TcpProxy.open(0)
    yield opened
    await opened.close()


async def test_connections_alternate_between_backends(proxy: TcpProxy) -> None:
    servers = [await echo_server(b"a"), await echo_server(b"b")]
    proxy.set_backends([s.sockets[0].getsockname()[1] for s in servers])
    answers = {await ask(proxy.port) for _ in range(4)}
    assert answers == {b"a:hi", b"b:hi"}
    for s in servers:
        s.close()


async def test_a_refusing_backend_is_skipped(proxy: TcpProxy) -> None:
    live = await echo_server(b"live")
    dead = await echo_server(b"dead")
    dead_port = dead.sockets[0].getsockname()[1]
    dead.close()
    await dead.wait_closed()
    proxy.set_backends([dead_port, live.sockets[0].getsockname()[1]])
    assert [await ask(proxy.port) for _ in range(3)] == [b"live:hi"] * 3
    live.close()


async def test_without_backends_the_connection_closes(proxy: TcpProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()

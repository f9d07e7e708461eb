"""A Service's load balancer: one loopback TCP port, connections spread round-robin.

Each accepted connection goes to the next backend port (a ready pod's assigned port);
a backend that refuses is skipped, and with no backend left the connection is closed,
as a client of a Service without endpoints sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence

from modelops.local.kubelet.objects import LOOPBACK

CHUNK = 65536


class TcpProxy:
    def __init__(self, server: asyncio.Server, port: int) -> None:
        self.port = port
        self.backends: tuple[int, ...] = ()
        self._server = server
        self._turn = itertools.count()
        self._connections: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, port: int) -> TcpProxy:
        """Listen on ``127.0.0.1:port`` (0: any free port). Raises OSError if taken."""
        holder: list[TcpProxy] = []

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await holder[0]._serve(reader, writer)

        server = await asyncio.start_server(accept, LOOPBACK, port, reuse_address=True)
        proxy = cls(server, server.sockets[0].getsockname()[1])
        holder.append(proxy)
        return proxy

    def set_backends(self, backends: Sequence[int]) -> None:
        self.backends = tuple(backends)

    async def close(self) -> None:
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            backend = await self._connect()
            if backend is None:
                return
            up_reader, up_writer = backend
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                up_writer.close()
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        backends = self.backends
        if not backends:
            return None
        first = next(self._turn)
        for i in range(len(backends)):
            port = backends[(first + i) % len(backends)]
            try:
                return await asyncio.open_connection(LOOPBACK, port)
            except OSError:
                continue
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()

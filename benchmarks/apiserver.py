"""Benchmark the embedded API server: writes/s and watch-event latency with 10 watchers.

Runs the same workload against the embedded `ApiServer` (SQLite write-through) and, as
peers in the same run, against a bare aiohttp server keeping objects in a dict (the cost
of HTTP and JSON alone) and raw sqlite3 inserts (the cost of storage alone). Each server
runs in its own process, so client and server do not share a GIL.

    .venv/bin/python benchmarks/apiserver.py [--writes 2000] [--latency-writes 400]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from modelops.local.apiserver import ApiServer

PATH = "/api/v1/namespaces/default/configmaps"
WATCHERS = 10
CONCURRENCY = 32


async def _serve_embedded(state: Path, ready: Any) -> None:
    server = await ApiServer.start(state)
    ready.put(server.url)
    await asyncio.Event().wait()


async def _serve_dict(ready: Any) -> None:
    objects: dict[str, bytes] = {}
    queues: set[asyncio.Queue[bytes]] = set()
    revision = 0

    async def collection(request: web.Request) -> web.StreamResponse:
        nonlocal revision
        if request.method == "POST":
            body = await request.json()
            revision += 1
            body["metadata"]["resourceVersion"] = str(revision)
            encoded = orjson.dumps(body)
            objects[body["metadata"]["name"]] = encoded
            line = b'{"type":"ADDED","object":' + encoded + b"}\n"
            for queue in queues:
                queue.put_nowait(line)
            return web.Response(body=encoded, status=201, content_type="application/json")
        response = web.StreamResponse()
        await response.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        queues.add(queue)
        try:
            while True:
                await response.write(await queue.get())
        finally:
            queues.discard(queue)

    app = web.Application()
    app.router.add_route("*", PATH, collection)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ready.put(f"http://127.0.0.1:{runner.addresses[0][1]}")
    await asyncio.Event().wait()


def _server_process(kind: str, state: str, ready: Any) -> None:
    if kind == "embedded":
        asyncio.run(_serve_embedded(Path(state), ready))
    else:
        asyncio.run(_serve_dict(ready))


class Watchers:
    """Ten watch streams recording when each object's ADDED event reached them."""

    def __init__(self) -> None:
        self.received: dict[str, list[float]] = {}
        self.everyone: dict[str, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self, session: aiohttp.ClientSession) -> None:
        connected = [asyncio.Event() for _ in range(WATCHERS)]
        self.tasks = [asyncio.create_task(self._watch(session, e)) for e in connected]
        for event in connected:
            await event.wait()

    async def _watch(self, session: aiohttp.ClientSession, connected: asyncio.Event) -> None:
        async with session.get(f"{PATH}?watch=1&resourceVersion=1") as response:
            connected.set()
            async for line in response.content:
                name = orjson.loads(line)["object"]["metadata"]["name"]
                times = self.received.setdefault(name, [])
                times.append(time.perf_counter())
                if len(times) == WATCHERS:
                    self.all_received(name).set()

    def all_received(self, name: str) -> asyncio.Event:
        """Set once every watcher has seen `name`."""
        return self.everyone.setdefault(name, asyncio.Event())

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()


def _configmap(name: str) -> bytes:
    return orjson.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"key": "value" * 8},
        }
    )


async def _workload(url: str, writes: int, latency_writes: int) -> tuple[float, float, float]:
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY + WATCHERS + 4)
    async with aiohttp.ClientSession(url, connector=connector) as session:
        watchers = Watchers()
        await watchers.start(session)
        await asyncio.sleep(0.2)
        names = iter(range(writes))

        async def writer() -> None:
            for number in names:
                async with session.post(
                    PATH, data=_configmap(f"t{number}"), headers=headers
                ) as response:
                    assert response.status == 201, await response.text()

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(CONCURRENCY)))
        rate = writes / (time.perf_counter() - started)
        await asyncio.sleep(0.5)
        latencies: list[float] = []
        for number in range(latency_writes):
            name = f"l{number}"
            sent = time.perf_counter()
            async with session.post(PATH, data=_configmap(name), headers=headers) as response:
                assert response.status == 201
            await watchers.all_received(name).wait()
            latencies += [(t - sent) * 1000 for t in watchers.received[name]]
            await asyncio.sleep(0.002)
        watchers.stop()
    cuts = statistics.quantiles(latencies, n=100)
    return rate, cuts[49], cuts[98]


def _measure_server(kind: str, writes: int, latency_writes: int) -> tuple[float, float, float]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    with tempfile.TemporaryDirectory() as state:
        process = context.Process(target=_server_process, args=(kind, state, ready), daemon=True)
        process.start()
        try:
            url = ready.get(timeout=30)
            return asyncio.run(_workload(url, writes, latency_writes))
        finally:
            process.terminate()
            process.join()


def _raw_sqlite(writes: int) -> float:
    with tempfile.TemporaryDirectory() as state:
        db = sqlite3.connect(Path(state) / "raw.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE objects (name TEXT PRIMARY KEY, body BLOB)")
        started = time.perf_counter()
        for number in range(writes):
            with db:
                db.execute("BEGIN")
                db.execute("INSERT INTO objects VALUES (?, ?)", (f"t{number}", _configmap("x")))
        rate = writes / (time.perf_counter() - started)
        db.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--latency-writes", type=int, default=400)
    args = parser.parse_args()
    rows = [
        (
            "embedded ApiServer (SQLite)",
            *_measure_server("embedded", args.writes, args.latency_writes),
        ),
        ("peer: bare aiohttp + dict", *_measure_server("dict", args.writes, args.latency_writes)),
    ]
    print(
        f"{WATCHERS} watchers, {CONCURRENCY} concurrent writers, {args.writes} creates; "
        f"latency over {args.latency_writes} paced creates (send -> event at each watcher)"
    )
    print(f"{'target':<32} {'writes/s':>10} {'watch p50 ms':>13} {'watch p99 ms':>13}")
    for name, rate, p50, p99 in rows:
        print(f"{name:<32} {rate:>10,.0f} {p50:>13.2f} {p99:>13.2f}")
    print(
        f"{'peer: raw sqlite3 insert+commit':<32} {_raw_sqlite(args.writes):>10,.0f} "
        f"{'-':>13} {'-':>13}"
    )
    print("goal: >= 1,000 writes/s and p99 <= 20 ms for the embedded server")


if __name__ == "__main__":
    main()

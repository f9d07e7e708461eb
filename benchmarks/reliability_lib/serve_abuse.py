"""The inference server under abuse: generated bad requests, oversized bodies, slow clients.

`ServeProcess` runs a real ``modelops serve`` on 127.0.0.1 with a real model
(`build_model`); `bad_requests(count, seed)` yields malformed requests of many kinds from a
seeded generator; `fire` sends them and counts answers; `limits` probes the size and time
bounds. Everything is bounded in count and time and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import aiohttp
import numpy as np
from benchmarks.reliability_lib.harness import free_port

MODEL = "abuse"
FEATURES = 30


@dataclass(frozen=True)
class Artifacts:
    uri: str
    digest: str
    rows: np.ndarray


def build_model(directory: Path) -> Artifacts:
    """A LogisticRegression on breast_cancer exported as the trainer exports it, with its
    reference profile and digest: what a serving pod loads."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from modelops.drift import profile
    from modelops.runtime import artifacts

    data = load_breast_cancer()
    features = data.data.astype(np.float32)
    estimator = LogisticRegression(max_iter=5000).fit(features, data.target)
    onnx_model = to_onnx(
        estimator,
        initial_types=[("input", FloatTensorType([None, FEATURES]))],
        final_types=[
            ("label", Int64TensorType([None])),
            ("probabilities", FloatTensorType([None, 2])),
        ],
        options={id(estimator): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    directory.mkdir(parents=True, exist_ok=True)
    digest = artifacts.write_bytes(str(directory / artifacts.MODEL), onnx_model.SerializeToString())
    names = [str(name).replace(" ", "_") for name in data.feature_names]
    reference = profile.build_reference({n: data.data[:, i] for i, n in enumerate(names)})
    artifacts.write_json(str(directory / artifacts.REFERENCE), reference.to_dict())
    return Artifacts(directory.as_uri(), digest, features)


def good_body(rows: np.ndarray) -> bytes:
    return json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": list(rows.shape),
                    "datatype": "FP32",
                    "data": rows.ravel().tolist(),
                }
            ]
        }
    ).encode()


class ServeProcess:
    """``modelops serve`` on 127.0.0.1 for ``artifacts``; extra command-line options allowed."""

    def __init__(self, artifacts: Artifacts, log: Path, *options: str) -> None:
        self.artifacts = artifacts
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.infer_url = f"{self.url}/v2/models/{MODEL}/infer"
        self._log_path = log
        self._options = options
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeProcess:
        command = [sys.executable, "-m", "modelops", "serve", "--model-name", MODEL]
        command += ["--model-version", "1", "--artifact-uri", self.artifacts.uri]
        command += ["--digest", self.artifacts.digest, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", "INFO", *self._options]
        with self._log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"modelops serve exited: {self._log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/v2/health/ready", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("modelops serve did not become ready in 60 s")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def good_request_succeeds(self) -> bool:
        request = urllib.request.Request(
            self.infer_url,
            data=good_body(self.artifacts.rows[:3]),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                outputs = json.loads(answer.read())["outputs"]
        except OSError:
            return False
        return answer.status == 200 and any(o["name"] == "label" for o in outputs)


@dataclass(frozen=True)
class BadRequest:
    """A request the server must refuse with a 4xx: over HTTP, or as ``raw`` bytes."""

    kind: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    method: str = "POST"
    path: str = f"/v2/models/{MODEL}/infer"
    raw: bytes | None = None


def _tensor(rng: random.Random, **override: object) -> dict[str, object]:
    rows = rng.randint(1, 4)
    entry: dict[str, object] = {
        "name": "input",
        "shape": [rows, FEATURES],
        "datatype": "FP32",
        "data": [rng.uniform(-10, 30) for _ in range(rows * FEATURES)],
    }
    entry.update(override)
    return entry


def _doc(*inputs: object, **extra: object) -> bytes:
    return json.dumps({"inputs": list(inputs), **extra}).encode()


def _nested(depth: int) -> bytes:
    return b'{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32","data":' + (
        b"[" * depth + b"]" * depth + b"}]}"
    )


def _bad(rng: random.Random, valid: bytes) -> BadRequest:
    kind = rng.choice(KINDS)
    garbage = rng.randbytes(rng.randint(1, 2048))
    number_text = rng.choice(["1e309", "-1e309", "NaN", "Infinity", "-Infinity", "1e400"])
    if kind == "truncated_json":
        return BadRequest(kind, valid[: rng.randint(0, len(valid) - 1)])
    if kind == "binary_garbage":
        return BadRequest(kind, garbage, (("Content-Type", "application/octet-stream"),))
    if kind == "not_utf8":
        return BadRequest(kind, b'{"inputs": "\xff\xfe' + garbage + b'"}')
    if kind == "top_level_type":
        return BadRequest(kind, rng.choice([b"[]", b"null", b"42", b'"x"', b"true", b""]))
    if kind == "deep_nesting":
        return BadRequest(kind, _nested(rng.choice([100, 1000, 5000, 50_000])))
    if kind == "non_finite":
        data = ",".join([number_text] * FEATURES)
        body = f'{{"inputs":[{{"name":"input","shape":[1,30],"datatype":"FP32","data":[{data}]}}]}}'
        return BadRequest(kind, body.encode())
    if kind == "huge_numbers":
        # Finite as JSON, infinite as FP32 (or past what JSON parsers hold).
        value = rng.choice([3.5e38, -3.5e38, 1.7e308, -1.7e308, 10**400, -(10**400)])
        return BadRequest(kind, _doc(_tensor(rng, shape=[1, FEATURES], data=[value] * FEATURES)))
    if kind == "wrong_shape":
        shape = rng.choice(
            [
                [1, 29],
                [2, FEATURES],
                [FEATURES],
                [1, 1, FEATURES],
                [-1, FEATURES],
                [2**62, FEATURES],
                [0, FEATURES],
                "1,30",
                [1.5, FEATURES],
                ["1", "30"],
                None,
                [True, FEATURES],
            ]
        )
        one_row = [rng.uniform(-10, 30) for _ in range(FEATURES)]
        return BadRequest(kind, _doc(_tensor(rng, shape=shape, data=one_row)))
    if kind == "wrong_datatype":
        datatype = rng.choice(["FP64X", "BYTES", "BOOL", "INT8", "fp32", "", 7, None, "STRING"])
        return BadRequest(kind, _doc(_tensor(rng, datatype=datatype)))
    if kind == "wrong_data":
        data = rng.choice(
            [
                "abc",
                None,
                {"a": 1},
                [["x"] * FEATURES],
                [None] * (FEATURES + 1),
                [[1.0] * 29, [1.0] * 31],
                [[[1.0]]] * (FEATURES - 1),
            ]
        )
        return BadRequest(kind, _doc(_tensor(rng, shape=[1, FEATURES], data=data)))
    if kind == "wrong_structure":
        body = rng.choice(
            [
                _doc(),
                json.dumps({"inputs": "input"}).encode(),
                json.dumps({"inputs": [1, 2]}).encode(),
                _doc(_tensor(rng, name="nope")),
                _doc(_tensor(rng, name=7)),
                _doc(_tensor(rng), _tensor(rng)),
                _doc(_tensor(rng), outputs=[{"name": "nope"}]),
                _doc(_tensor(rng), outputs="label"),
                _doc(_tensor(rng), outputs=[7]),
                _doc(_tensor(rng), id=42),
                _doc(_tensor(rng), parameters=[1]),
                _doc(_tensor(rng, parameters="x")),
                _doc({k: v for k, v in _tensor(rng).items() if k != "data"}),
                json.dumps({"input": []}).encode(),
            ]
        )
        return BadRequest(kind, body)
    if kind == "oversized_batch":
        rows = rng.choice([1025, 5000])
        return BadRequest(kind, _doc(_tensor(rng, shape=[rows, FEATURES], data=[0.5] * rows * 30)))
    if kind == "binary_extension":
        entry = _tensor(rng, parameters={"binary_data_size": rng.choice([-1, 10**9, "x", 119])})
        entry.pop("data")
        header = _doc(entry)
        length = rng.choice([str(len(header)), "-5", "abc", str(len(header) + 10**6), "1"])
        return BadRequest(
            kind,
            header + garbage[: rng.randint(0, 200)],
            (
                ("Content-Type", "application/octet-stream"),
                ("Inference-Header-Content-Length", length),
            ),
        )
    if kind == "content_type":
        media = rng.choice(
            [
                "text/plain",
                "application/xml",
                "multipart/form-data; boundary=x",
                "image/png",
                "application/jsonx",
            ]
        )
        return BadRequest(kind, valid, (("Content-Type", media),))
    if kind == "wrong_route":
        method, path = rng.choice(
            [
                ("GET", f"/v2/models/{MODEL}/infer"),
                ("PUT", f"/v2/models/{MODEL}/infer"),
                ("DELETE", f"/v2/models/{MODEL}/infer"),
                ("POST", "/v2/models/other/infer"),
                ("POST", f"/v2/models/{MODEL}/versions/9/infer"),
                ("POST", f"/v2/models/{MODEL}/versions/x%00/infer"),
                ("POST", "/v2/models/%2e%2e%2f%2e%2e/infer"),
                ("POST", "/" + "a" * 5000),
            ]
        )
        return BadRequest(kind, valid, method=method, path=path)
    if kind == "huge_header":
        size = rng.choice([9000, 20_000, 100_000])
        return BadRequest(
            kind, valid, (("Content-Type", "application/json"), ("X-Big", "a" * size))
        )
    if kind == "many_headers":
        headers = tuple((f"X-H{i}", "v") for i in range(rng.choice([200, 1000])))
        return BadRequest(kind, valid, (("Content-Type", "application/json"), *headers))
    # Below the HTTP layer: malformed requests written to the socket as they are.
    if kind == "malformed_http":
        raw = rng.choice(
            [
                b"POST /v2/models/abuse/infer HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                b"POST /v2/models/abuse/infer HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                b"POST /v2/models/abuse/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
                b"POST /v2/models/abuse/infer HTTP/1.1\r\nContent-Length: 5\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                b"POST /v2/models/abuse/infer HTTP/9.9\r\n\r\n",
                b"GARBAGE\r\n\r\n",
                b"POST /v2/models/abuse/infer HTTP/1.1\r\nHost: a\r\nHost: b\r\nBad Header\r\n\r\n",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + garbage[:64] + b"\r\n\r\n",
                b"POST "
                + garbage[:100].replace(b"\r", b"").replace(b"\n", b"")
                + b" HTTP/1.1\r\n\r\n",
            ]
        )
        return BadRequest(kind, raw=raw)
    raise AssertionError(kind)


KINDS = (
    "truncated_json",
    "binary_garbage",
    "not_utf8",
    "top_level_type",
    "deep_nesting",
    "non_finite",
    "huge_numbers",
    "wrong_shape",
    "wrong_datatype",
    "wrong_data",
    "wrong_structure",
    "oversized_batch",
    "binary_extension",
    "content_type",
    "wrong_route",
    "huge_header",
    "many_headers",
    "malformed_http",
)


def bad_requests(count: int, seed: int, rows: np.ndarray) -> Iterator[BadRequest]:
    """``count`` bad requests of every kind in `KINDS`, the same ones for the same seed."""
    rng = random.Random(seed)
    valid = good_body(rows[:2])
    for _ in range(count):
        yield _bad(rng, valid)


@dataclass
class AbuseResult:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    """Requests answered with anything but a 4xx (a 5xx, a 2xx, no answer at all)."""
    alive_after: bool = False
    good_after: bool = False


async def _send_http(session: aiohttp.ClientSession, base: str, bad: BadRequest) -> int | str:
    try:
        async with session.request(
            bad.method,
            base + bad.path,
            data=bad.body,
            headers=dict(bad.headers),
            skip_auto_headers=("Content-Type",),
        ) as answer:
            await answer.read()
            return answer.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"no answer ({type(error).__name__}: {error})"[:200]


async def _send_raw(port: int, raw: bytes) -> int | str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
    except (OSError, TimeoutError) as error:
        return f"no answer ({type(error).__name__})"
    finally:
        writer.close()
    parts = line.split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return f"no status line: {line[:80]!r}"


async def fire(server: ServeProcess, count: int, seed: int, concurrency: int = 16) -> AbuseResult:
    """Send ``count`` bad requests, ``concurrency`` at a time; count what came back."""
    result = AbuseResult()
    queue = list(bad_requests(count, seed, server.artifacts.rows))
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=connector, max_field_size=2**20
    ) as session:

        async def worker(items: list[BadRequest]) -> None:
            for bad in items:
                if bad.raw is not None:
                    answer = await _send_raw(server.port, bad.raw)
                else:
                    answer = await _send_http(session, server.url, bad)
                result.requests += 1
                result.by_kind[bad.kind] += 1
                if isinstance(answer, int):
                    result.statuses[answer] += 1
                if not isinstance(answer, int) or not 400 <= answer < 500:
                    result.problems.append(f"{bad.kind} {bad.body[:80]!r}: {answer}")

        await asyncio.gather(*(worker(queue[i::concurrency]) for i in range(concurrency)))
    result.seconds = time.monotonic() - started
    result.alive_after = server.alive
    result.good_after = server.good_request_succeeds()
    return result


@dataclass
class LimitsResult:
    oversized_status: int | str = 0
    oversized_seconds: float = 0.0
    declared_oversized_status: int | str = 0
    declared_oversized_seconds: float = 0.0
    huge_header_status: int | str = 0
    slowloris_clients: int = 0
    slowloris_closed_after: float | None = None
    """Seconds until the server closed a client dribbling its headers (None: never)."""
    slow_body_closed_after: float | None = None
    """Seconds until the server gave up on a client dribbling its body (None: never)."""
    served_during_slowloris: int = 0
    failed_during_slowloris: int = 0


async def _status_of(reader: asyncio.StreamReader, wait: float) -> int | str:
    try:
        line = await asyncio.wait_for(reader.readline(), wait)
    except TimeoutError:
        return "no answer"
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else "connection closed"


async def _oversized(port: int, size: int, send: int) -> tuple[int | str, float]:
    """Declare a ``size`` body, send ``send`` bytes of it; the answer and how long it took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    head = (
        f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    writer.write(head.encode())
    try:
        chunk = b" " * 65536
        sent = 0
        while sent < send:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    except OSError:
        pass  # the server may close the connection before the body is all sent
    status = await _status_of(reader, 20)
    writer.close()
    return status, time.monotonic() - started


async def _dribble(
    port: int, head: bytes, payload: bytes, interval: float, limit: float
) -> float | None:
    """Send ``head``, then ``payload`` a byte every ``interval`` s; seconds until the server
    hung up or refused (None: it never did within ``limit`` s)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        writer.write(head)
        await writer.drain()
        for byte in payload:
            if time.monotonic() - started > limit:
                return None
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), interval)
            except TimeoutError:
                continue
            if not data or data.startswith(b"HTTP/1.1 4"):
                return time.monotonic() - started
        return None
    except OSError:
        return time.monotonic() - started
    finally:
        writer.close()


async def limits(
    server: ServeProcess, slow_clients: int = 50, slow_limit: float = 40.0
) -> LimitsResult:
    """Probe the body, header and time bounds of ``server`` (started with its defaults)."""
    result = LimitsResult()
    max_body = 8 * 1024 * 1024
    result.oversized_status, result.oversized_seconds = await _oversized(
        server.port, max_body + 1024 * 1024, max_body + 1024 * 1024
    )
    result.declared_oversized_status, result.declared_oversized_seconds = await _oversized(
        server.port, 10 * 1024**3, 65536
    )
    async with aiohttp.ClientSession(max_field_size=2**20) as session:
        big = await _send_http(
            session,
            server.url,
            BadRequest(
                "huge_header",
                good_body(server.artifacts.rows[:1]),
                (("Content-Type", "application/json"), ("X-Big", "a" * 65536)),
            ),
        )
    result.huge_header_status = big
    header = (
        f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nX-Slow: " + "a" * 1000
    ).encode()
    body = good_body(server.artifacts.rows[:1])
    slow_body = (
        f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    result.slowloris_clients = slow_clients
    slow = [
        asyncio.create_task(_dribble(server.port, b"", header, 0.5, slow_limit))
        for _ in range(slow_clients)
    ]
    slow_body_task = asyncio.create_task(_dribble(server.port, slow_body, body, 0.5, slow_limit))
    await asyncio.sleep(1)
    # Other clients are served meanwhile.
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            answer = await _send_http(
                session, server.url, BadRequest("good", good_body(server.artifacts.rows[:2]))
            )
            if answer == 200:
                result.served_during_slowloris += 1
            else:
                result.failed_during_slowloris += 1
    closed = await asyncio.gather(*slow)
    result.slowloris_closed_after = None if None in closed else max(c for c in closed if c)
    result.slow_body_closed_after = await slow_body_task
    return result


@dataclass
class DrainResult:
    served: int = 0
    closed_by_server: int = 0
    """Answers carrying "Connection: close" (sent while draining)."""
    failures: list[str] = field(default_factory=list)
    exit_code: int | None = None


async def sigterm_under_load(
    server: ServeProcess, before: float = 1.0, after: float = 2.0, connections: int = 16
) -> DrainResult:
    """Keep-alive clients post steadily; SIGTERM the server ``before`` s in and keep going
    ``after`` s more, as a Service still routing to a terminating pod would."""
    assert server.process is not None
    result = DrainResult()
    body = good_body(server.artifacts.rows[:1])
    started = time.monotonic()
    stop_at = started + before + after
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:

        async def client() -> None:
            while time.monotonic() < stop_at:
                try:
                    async with session.post(
                        server.infer_url, data=body, headers={"Content-Type": "application/json"}
                    ) as answer:
                        await answer.read()
                        if answer.status != 200:
                            result.failures.append(f"HTTP {answer.status}")
                        else:
                            result.served += 1
                        if answer.headers.get("Connection", "").lower() == "close":
                            result.closed_by_server += 1
                except (aiohttp.ClientError, OSError) as error:
                    result.failures.append(f"{type(error).__name__}: {error}"[:200])
                    await asyncio.sleep(0.05)

        async def terminate() -> None:
            await asyncio.sleep(before)
            assert server.process is not None
            server.process.terminate()

        await asyncio.gather(terminate(), *(client() for _ in range(connections)))
    result.exit_code = await asyncio.to_thread(server.process.wait, 30)
    return result

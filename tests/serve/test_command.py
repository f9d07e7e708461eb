"""`modelops serve`: the command line, and SIGTERM draining in-flight requests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelops import cli
from modelops.local.kubelet.ports import free_port
from tests.serve.conftest import Served, v2_body


def test_serve_defaults_its_port_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELOPS_PORT", "9123")
    args = cli.build_parser().parse_args(
        [
            "serve",
            "--model-name",
            "m",
            "--model-version",
            "2",
            "--artifact-uri",
            "file:///a",
            "--digest",
            "sha256:00",
        ]
    )
    assert (args.port, args.max_batch_size, args.non_finite) == (9123, 1024, "reject")
    assert (args.drift_window, args.no_drift, args.grace_period) == (1000, False, 20.0)


def wait_for_readiness_status(port: int, seconds: float = 5) -> int:
    """The readiness status once it is no longer 200 (or 200 after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready"):
                time.sleep(0.05)
        except urllib.error.HTTPError as error:
            return error.code
    return 200


@pytest.fixture
def server(served: Served, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelops",
            "serve",
            "--model-name",
            "cancer",
            "--model-version",
            "3",
            "--artifact-uri",
            served.uri,
            "--digest",
            served.digest,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--grace-period",
            "10",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready"):
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        else:
            raise AssertionError("the server did not become ready")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_sigterm_drains_an_in_flight_request_then_exits_0(
    server: tuple[subprocess.Popen[str], int], served: Served
) -> None:
    process, port = server
    body = json.dumps(v2_body(served.features[:1])).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            b"POST /v2/models/cancer/infer HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)  # the handler is now waiting for the rest of the body
        process.send_signal(signal.SIGTERM)
        assert wait_for_readiness_status(port) == 503
        assert process.poll() is None, "exited with a request in flight"
        conn.sendall(body[10:])
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200")
    assert b'"label"' in response
    assert process.wait(10) == 0
    output = process.stdout.read() if process.stdout else ""
    assert "draining 1 in-flight request(s)" in output


def test_a_stuck_request_does_not_hold_shutdown_past_the_grace_period(
    served: Served, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "MODELOPS_PORT": str(port)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelops",
            "serve",
            "--model-name",
            "cancer",
            "--model-version",
            "3",
            "--artifact-uri",
            served.uri,
            "--digest",
            served.digest,
            "--host",
            "127.0.0.1",
            "--grace-period",
            "0.5",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with conn:
            conn.sendall(
                b"POST /v2/models/cancer/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
            )
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert process.wait(10) == 0
            assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

"""The inference server never falls over: bad input gets a 4xx, limits are enforced, slow
clients are cut off, and load and a rolling update fail no request."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.reliability_lib import load, serve_abuse


async def test_a_thousand_bad_requests_get_only_4xx_and_the_server_stays_up(
    server: serve_abuse.ServeProcess,
) -> None:
    result = await serve_abuse.fire(server, 1_000, seed=2)
    assert result.requests == 1_000
    assert result.problems == []
    assert set(result.by_kind) == set(serve_abuse.KINDS)
    assert all(400 <= code < 500 for code in result.statuses)
    assert result.alive_after
    assert result.good_after


async def test_oversized_bodies_huge_headers_and_slow_clients_are_bounded(
    server: serve_abuse.ServeProcess,
) -> None:
    result = await serve_abuse.limits(server, slow_clients=20, slow_limit=12)
    assert result.oversized_status == 413
    assert result.oversized_seconds < 1
    assert result.declared_oversized_status == 413, "refused on Content-Length alone"
    assert result.declared_oversized_seconds < 1
    assert isinstance(result.huge_header_status, int)
    assert 400 <= result.huge_header_status < 500
    assert result.slowloris_closed_after is not None, "a slowloris client is disconnected"
    assert result.slowloris_closed_after < 6
    assert result.slow_body_closed_after is not None, "a slow body is given up on"
    assert result.slow_body_closed_after < 6
    assert result.served_during_slowloris > 0
    assert result.failed_during_slowloris == 0
    assert server.good_request_succeeds()


needs_wrk = pytest.mark.skipif(not load.wrk_available(), reason="wrk is not installed")


@needs_wrk
def test_ten_seconds_at_64_connections_fail_no_request(server: serve_abuse.ServeProcess) -> None:
    body = serve_abuse.good_body(server.artifacts.rows[:1]).decode()
    result = load.steady(server.infer_url, body, seconds=10, connections=64)
    assert result.requests > 1_000, result.report
    assert result.errors == 0, result.report


@needs_wrk
@pytest.mark.slow
def test_a_rolling_update_under_load_fails_no_request(tmp_path: Path) -> None:
    result = load.rolling_update(tmp_path, seconds=10)
    assert result.load.requests > 1_000, result.load.report
    assert result.load.errors == 0, result.load.report
    assert result.served_after == str(result.to_version)


async def test_a_server_terminated_under_load_fails_no_request_then_exits(
    server: serve_abuse.ServeProcess,
) -> None:
    result = await serve_abuse.sigterm_under_load(server, before=1.0, after=2.0)
    assert result.failures == []
    assert result.closed_by_server > 0, "draining answers tell keep-alive clients to reconnect"
    assert result.served > 100
    assert result.exit_code == 0, "it exits once requests stop arriving"

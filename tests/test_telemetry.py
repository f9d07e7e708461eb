"""Reading drift from a pod's /metrics text, as the operator does without Prometheus."""

from __future__ import annotations

import pytest

from modelops import telemetry

SCRAPE = """\
# HELP modelops_drift_overall overall drift
# TYPE modelops_drift_overall gauge
modelops_drift_overall{model="m",version="2"} 3.5
modelops_drift_overall{model="m",version="1"} 9.0
modelops_drift_overall{model="other",version="2"} 7.0
# TYPE modelops_drift_rows gauge
modelops_drift_rows{model="m",version="2"} 640
# TYPE modelops_drift_score gauge
modelops_drift_score{feature="f0",model="m",version="2"} 4.0
modelops_drift_score{feature="f1",model="m",version="2"} 0.3
modelops_drift_score{feature="f2",model="m",version="2"} 1.0
modelops_drift_score{feature="f9",model="m",version="1"} 8.0
"""


def test_only_the_served_version_of_the_model_counts() -> None:
    score, rows, drifted = telemetry.parse_scrape(SCRAPE, "m", 2)
    assert (score, rows) == (3.5, 640)
    assert drifted == {"f0", "f2"}, "a feature at the alarm level (1.0) or above is drifted"


def test_a_pod_without_drift_series_has_no_score() -> None:
    assert telemetry.parse_scrape("# nothing here\n", "m", 2) == (None, 0, set())


def test_a_nan_score_is_no_data_never_zero() -> None:
    text = 'modelops_drift_overall{model="m",version="2"} NaN\n'
    score, _rows, _drifted = telemetry.parse_scrape(text, "m", 2)
    assert score is None


async def test_prometheus_redirects_are_not_followed_and_bodies_not_reflected() -> None:
    from aiohttp import web

    hits: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("/secret")

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="root:x:0:0:root:/root:/bin/bash")

    app = web.Application()
    app.router.add_get("/api/v1/query", redirect)
    app.router.add_get("/secret", secret)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with pytest.raises(telemetry.SourceError) as raised:
            await telemetry.from_prometheus(f"http://127.0.0.1:{port}", None, "m", 1)
        assert telemetry.describe(raised.value) == "HTTP 302"
        assert "root" not in str(raised.value)
        assert hits == ["/api/v1/query"], "the redirect target was never fetched"
    finally:
        await runner.cleanup()

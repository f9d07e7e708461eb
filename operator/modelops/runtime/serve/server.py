"""Runs the application on a port until SIGTERM or SIGINT, then drains and stops."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from modelops.runtime.serve.app import LIFECYCLE, create_app
from modelops.runtime.serve.config import ServeConfig

log = logging.getLogger(__name__)


async def serve(config: ServeConfig, host: str, port: int, access_log: bool = False) -> None:
    """Serve ``config`` on ``host:port``; return once drained after a termination signal."""
    app = create_app(config)
    runner = web.AppRunner(
        app,
        access_log=logging.getLogger("aiohttp.access") if access_log else None,
        handle_signals=False,
        # The grace period has been spent draining by the time the runner stops.
        shutdown_timeout=1.0,
        # aiohttp arms this timer when a connection opens and re-arms it after each
        # response, so it also bounds a client that never finishes sending its headers.
        keepalive_timeout=config.idle_timeout,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("serving %s version %s on %s:%d", config.model_name, config.model_version, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    lifecycle = app[LIFECYCLE]
    lifecycle.begin_drain()
    log.info("draining %d in-flight request(s)", lifecycle.in_flight)
    if not await lifecycle.drained(config.grace_period, quiet=config.quiet_period):
        log.warning(
            "grace period of %.1fs over with %d request(s) in flight",
            config.grace_period,
            lifecycle.in_flight,
        )
    await runner.cleanup()
    log.info("stopped")

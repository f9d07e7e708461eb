"""Readiness probes against a local process: httpGet, tcpSocket and exec.

Whatever port a probe names, it is sent to the pod's assigned loopback port, because
that is where the process listens locally. Probe periods are capped (``MAX_PERIOD``) so
that a local rollout does not wait ten seconds per pod.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj

MAX_PERIOD = 1.0
MAX_INITIAL_DELAY = 10.0


@dataclass(frozen=True)
class Timing:
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int


def timing(probe: Obj) -> Timing:
    return Timing(
        initial_delay=min(float(probe.get("initialDelaySeconds") or 0), MAX_INITIAL_DELAY),
        period=min(float(probe.get("periodSeconds") or 10), MAX_PERIOD),
        timeout=float(probe.get("timeoutSeconds") or 1),
        success_threshold=int(probe.get("successThreshold") or 1),
        failure_threshold=int(probe.get("failureThreshold") or 3),
    )


async def check(probe: Obj, port: int | None, env: Mapping[str, str], cwd: str) -> bool:
    """One probe attempt; any error or timeout is a failure."""
    limit = timing(probe).timeout
    try:
        return await asyncio.wait_for(_attempt(probe, port, env, cwd), timeout=limit)
    except (TimeoutError, OSError, aiohttp.ClientError):
        return False


async def _attempt(probe: Obj, port: int | None, env: Mapping[str, str], cwd: str) -> bool:
    if "exec" in probe:
        command = probe["exec"].get("command") or []
        process = await asyncio.create_subprocess_exec(
            *command,
            env=dict(env),
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await process.wait() == 0
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    if port is None:
        return False
    if "httpGet" in probe:
        get = probe["httpGet"]
        path = get.get("path") or "/"
        scheme = str(get.get("scheme") or "HTTP").lower()
        headers = {h["name"]: h["value"] for h in get.get("httpHeaders") or []}
        url = f"{scheme}://{objects.LOOPBACK}:{port}{path if path.startswith('/') else '/' + path}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=headers, ssl=False, allow_redirects=False) as resp,
        ):
            return 200 <= resp.status < 400
    if "tcpSocket" in probe:
        _, writer = await asyncio.open_connection(objects.LOOPBACK, port)
        writer.close()
        await writer.wait_closed()
        return True
    return True

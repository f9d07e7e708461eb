"""The local kubelet: wires the caches, the controllers, the pod workers and the proxies.

One reconcile loop runs the passes in order (Jobs, Deployments, pods, Services) whenever
a watched object changes, when a deadline or back-off asks for it, and at least every
``TICK`` seconds; every decision is re-made from the caches each time (level-triggered),
so a missed event or a restart costs one pass, not correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from modelops.local.kubelet import deploymentcontroller, jobcontroller
from modelops.local.kubelet.client import ApiClient
from modelops.local.kubelet.cluster import Cluster
from modelops.local.kubelet.podmanager import PodManager
from modelops.local.kubelet.servicecontroller import ServiceController
from modelops.local.kubelet.statedir import StateDir

log = logging.getLogger(__name__)

TICK = 1.0
#: Events arriving this close together are handled in one pass.
DEBOUNCE = 0.05
SYNC_TIMEOUT = 30.0
RETRY_AFTER_FAILURE = 0.5


class Kubelet:
    """Runs the Jobs, Deployments and Services of one API server as local processes."""

    def __init__(self, api: ApiClient, state: StateDir) -> None:
        self._api = api
        self._state = state
        self._cluster = Cluster(api)
        self._pods = PodManager(self._cluster, state)
        self._services = ServiceController(self._cluster)
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, api_url: str, state_dir: Path) -> Kubelet:
        """Connect to the API at ``api_url`` and start running what it holds.

        Returns once the first list of every watched resource has arrived; raises
        TimeoutError if the API does not answer within ``SYNC_TIMEOUT`` seconds.
        """
        kubelet = cls(ApiClient(api_url), StateDir.create(state_dir))
        kubelet._tasks = [asyncio.create_task(i.run()) for i in kubelet._cluster.informers.values()]
        try:
            await asyncio.wait_for(kubelet._cluster.wait_synced(), timeout=SYNC_TIMEOUT)
        except BaseException:
            await kubelet.stop()
            raise
        kubelet._tasks.append(asyncio.create_task(kubelet._reconcile_forever()))
        return kubelet

    def read_log(self, namespace: str, pod: str, container: str | None = None) -> str:
        """The pod's log so far ("" if it never ran); fits ``ApiServer.pod_logs``.

        Every run of the pod's one container appends to the same log, so ``container``
        selects nothing.
        """
        try:
            return self._state.log_file(namespace, pod).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def stop(self) -> None:
        """Stop watching and stop every child process (SIGTERM, then SIGKILL)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._pods.stop()
        await self._services.close()
        await self._api.close()

    async def _reconcile_forever(self) -> None:
        while True:
            self._cluster.dirty.clear()
            recheck = await self._reconcile_once()
            timeout = TICK if recheck is None else min(max(recheck, DEBOUNCE), TICK)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._cluster.dirty.wait(), timeout=timeout)
            await asyncio.sleep(DEBOUNCE)

    async def _reconcile_once(self) -> float | None:
        """Each part runs even if another failed; a failed part asks for a quick retry."""
        now = dt.datetime.now(dt.UTC)
        rechecks: list[float] = []
        parts: list[Callable[[], Awaitable[float | None]]] = [
            lambda: jobcontroller.sync(self._cluster, now),
            lambda: deploymentcontroller.sync(self._cluster, now),
            self._pods.sync,
            self._services.sync,
        ]
        for part in parts:
            try:
                recheck = await part()
            except Exception:
                log.exception("a reconcile pass failed; the next one retries")
                recheck = RETRY_AFTER_FAILURE
            if recheck is not None:
                rechecks.append(recheck)
        return min(rechecks, default=None)

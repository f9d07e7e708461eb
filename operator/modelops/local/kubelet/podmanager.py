"""The kubelet proper: one worker per pod in the API, stopped when the pod goes away.

Every pod that is neither finished nor being deleted gets a worker (all pods run on the
one local node). A pod whose process vanished with an earlier kubelet (phase Running but
no worker here) is treated as a node restart: with ``restartPolicy: Never`` it fails
(exit code 255, reason Unknown) so its Job counts a failed attempt and retries; otherwise
its container restarts in place with restartCount + 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from modelops.local.kubelet import client, containers, objects, ports
from modelops.local.kubelet.client import ApiError
from modelops.local.kubelet.cluster import Cluster
from modelops.local.kubelet.containers import Sources
from modelops.local.kubelet.objects import Obj
from modelops.local.kubelet.podstatus import ContainerView, pod_status
from modelops.local.kubelet.podworker import PodWorker, now
from modelops.local.kubelet.statedir import StateDir, secret_data

log = logging.getLogger(__name__)

DEFAULT_GRACE = 30.0
#: Local processes get at most this long between SIGTERM and SIGKILL.
MAX_GRACE = 10.0
REPORT_RETRY = 0.1
MAX_REPORT_RETRY = 2.0


def grace_period(pod: Obj) -> float:
    seconds = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return min(float(DEFAULT_GRACE if seconds is None else seconds), MAX_GRACE)


class PodManager:
    def __init__(self, cluster: Cluster, state: StateDir) -> None:
        self.state = state
        self._cluster = cluster
        self._workers: dict[str, PodWorker] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    async def sync(self) -> None:
        """Start workers for new pods and stop those whose pods are gone or deleting."""
        pods = {objects.uid(p): p for p in self._cluster.objects(client.PODS)}
        for uid, worker in list(self._workers.items()):
            pod = pods.get(uid)
            if pod is None or objects.is_deleting(pod):
                del self._workers[uid]
                task = asyncio.create_task(self._retire(worker, pod))
                self._stopping.add(task)
                task.add_done_callback(self._stopping.discard)
        for uid, pod in pods.items():
            if uid in self._workers or objects.is_deleting(pod) or objects.is_terminal(pod):
                continue
            try:
                port = await self._assign_port(pod)
            except (ApiError, aiohttp.ClientError) as exc:
                log.warning("assigning a port to pod %s: %s", objects.key(pod), exc)
                continue
            lost = objects.phase(pod) == "Running"
            self._workers[uid] = PodWorker(pod, port, self, lost=lost)

    async def stop(self) -> None:
        """Stop every process (grace capped as for deletions), reporting nothing."""
        workers, self._workers = list(self._workers.values()), {}
        await asyncio.gather(*(w.stop(grace_period(w.pod)) for w in workers))
        await asyncio.gather(*self._stopping, return_exceptions=True)

    async def _retire(self, worker: PodWorker, pod: Obj | None) -> None:
        await worker.stop(grace_period(pod or worker.pod))
        self.state.remove(worker.pod)
        if pod is not None and not (objects.meta(pod).get("finalizers") or []):
            # The pod waits for its kubelet to confirm the process is gone.
            with contextlib.suppress(ApiError, aiohttp.ClientError):
                await self._cluster.delete(client.PODS, pod, gracePeriodSeconds=0)

    async def _assign_port(self, pod: Obj) -> int | None:
        if not objects.main_container(pod).get("ports"):
            return None
        taken = {w.port for w in self._workers.values() if w.port is not None}
        recorded = objects.assigned_port(pod)
        port = ports.pick(recorded, taken)
        if port != recorded:
            annotations = {objects.PORT_ANNOTATION: str(port)}
            await self._cluster.patch(client.PODS, pod, {"metadata": {"annotations": annotations}})
        return port

    async def sources(self, pod: Obj) -> Sources:
        """The ConfigMaps and Secrets ``pod`` references; ConfigError if they cannot be read."""
        try:
            return await self._read_sources(pod)
        except (ApiError, aiohttp.ClientError) as exc:
            raise containers.ConfigError(f"cannot read configmaps or secrets: {exc}") from exc

    async def _read_sources(self, pod: Obj) -> Sources:
        config_map_names, secret_names = containers.referenced(pod)
        ns = objects.namespace(pod)
        config_maps: dict[str, dict[str, str]] = {}
        secrets: dict[str, dict[str, str]] = {}
        for name in config_map_names:
            found = await self._cluster.api.get(client.CONFIGMAPS.item(ns, name))
            if found is not None:
                config_maps[name] = {k: str(v) for k, v in (found.get("data") or {}).items()}
        for name in secret_names:
            found = await self._cluster.api.get(client.SECRETS.item(ns, name))
            if found is not None:
                secrets[name] = secret_data(found)
        return Sources(config_maps=config_maps, secrets=secrets)

    async def report(self, pod: Obj, view: ContainerView) -> None:
        """Write the pod status for ``view``, retrying until written or the pod is gone.

        A lost report would leave a Job waiting forever for its pod's outcome.
        """
        delay = REPORT_RETRY
        while True:
            current = self._cluster.informers[client.PODS].get(objects.key(pod))
            if current is None or objects.uid(current) != objects.uid(pod):
                return
            status = pod_status(current, view, now())
            try:
                await self._cluster.patch_status(client.PODS, current, status)
                return
            except (ApiError, aiohttp.ClientError) as exc:
                log.warning("reporting the status of pod %s: %s", objects.key(pod), exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_REPORT_RETRY)

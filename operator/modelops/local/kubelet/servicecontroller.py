"""The load-balancer controller: a loopback ``TcpProxy`` per Service with a selector.

The proxy's port is recorded in the Service's ``local.modelops.dev/port`` annotation and
reused after a restart when still free; it is published in ``status.loadBalancer``.
"""

from __future__ import annotations

import logging

import aiohttp

from modelops.local.kubelet import client, objects, ports, services
from modelops.local.kubelet.client import ApiError
from modelops.local.kubelet.cluster import Cluster
from modelops.local.kubelet.objects import Obj
from modelops.local.kubelet.proxy import TcpProxy

log = logging.getLogger(__name__)


class ServiceController:
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._proxies: dict[str, TcpProxy] = {}

    async def sync(self) -> None:
        wanted = {
            objects.key(s): s
            for s in self._cluster.objects(client.SERVICES)
            if services.selector(s) and not objects.is_deleting(s)
        }
        for key in set(self._proxies) - set(wanted):
            await self._proxies.pop(key).close()
        pods = self._cluster.objects(client.PODS)
        for key, service in wanted.items():
            try:
                proxy = self._proxies.get(key) or await self._open(service)
                self._proxies[key] = proxy
                proxy.set_backends(services.backends(service, pods))
                await self._publish(service, proxy.port)
            except (ApiError, aiohttp.ClientError, OSError) as exc:
                log.warning("service %s: %s", key, exc)

    async def close(self) -> None:
        for proxy in self._proxies.values():
            await proxy.close()
        self._proxies.clear()

    async def _open(self, service: Obj) -> TcpProxy:
        taken = {p.port for p in self._proxies.values()}
        return await TcpProxy.open(ports.pick(objects.assigned_port(service), taken))

    async def _publish(self, service: Obj, port: int) -> None:
        if objects.assigned_port(service) != port:
            annotations = {objects.PORT_ANNOTATION: str(port)}
            body = {"metadata": {"annotations": annotations}}
            await self._cluster.patch(client.SERVICES, service, body)
            service = self._cluster.informers[client.SERVICES].get(objects.key(service)) or service
        await self._cluster.patch_status(
            client.SERVICES,
            service,
            {**(service.get("status") or {}), **services.load_balancer_status(port)},
        )

"""The Deployment controller's actions: apply ``deployments.plan_deployment`` to each one."""

from __future__ import annotations

import datetime as dt
import logging

import aiohttp

from modelops.local.kubelet import client, deployments, objects
from modelops.local.kubelet.client import ApiError
from modelops.local.kubelet.cluster import Cluster

log = logging.getLogger(__name__)


async def sync(cluster: Cluster, now: dt.datetime) -> float | None:
    """One pass over all Deployments; returns the seconds until one needs another look."""
    rechecks: list[float] = []
    all_deployments = cluster.objects(client.DEPLOYMENTS)
    for deployment in all_deployments:
        if objects.is_deleting(deployment):
            continue
        try:
            pods = objects.owned_by(cluster.objects(client.PODS), deployment)
            plan = deployments.plan_deployment(deployment, pods, now)
            for pod in pods:
                if objects.name(pod) in plan.delete_pods:
                    await cluster.delete(client.PODS, pod)
            ns = objects.namespace(deployment)
            for _ in range(plan.create):
                pod = deployments.deployment_pod(deployment, plan.template_hash)
                await cluster.create(client.PODS, ns, pod)
            await cluster.patch_status(client.DEPLOYMENTS, deployment, plan.status)
        except (ApiError, aiohttp.ClientError) as exc:
            log.warning("deployment %s: %s", objects.key(deployment), exc)
            continue
        if plan.recheck_after is not None:
            rechecks.append(plan.recheck_after)
    await cluster.delete_orphans("Deployment", all_deployments)
    return min(rechecks, default=None)

"""The Job controller's actions: apply ``jobs.plan_job`` to each Job in the cache."""

from __future__ import annotations

import datetime as dt
import logging

import aiohttp

from modelops.local.kubelet import client, jobs, objects
from modelops.local.kubelet.client import ApiError
from modelops.local.kubelet.cluster import Cluster

log = logging.getLogger(__name__)


async def sync(cluster: Cluster, now: dt.datetime) -> float | None:
    """One pass over all Jobs; returns the seconds until a Job needs another look."""
    rechecks: list[float] = []
    all_jobs = cluster.objects(client.JOBS)
    for job in all_jobs:
        if objects.is_deleting(job):
            continue
        try:
            pods = objects.owned_by(cluster.objects(client.PODS), job)
            plan = jobs.plan_job(job, pods, now)
            for pod in pods:
                if objects.name(pod) in plan.delete_pods:
                    await cluster.delete(client.PODS, pod)
            if plan.create_pod:
                await cluster.create(client.PODS, objects.namespace(job), jobs.job_pod(job))
            await cluster.patch_status(client.JOBS, job, plan.status)
            if plan.delete_job:
                await cluster.delete(client.JOBS, job)
        except (ApiError, aiohttp.ClientError) as exc:
            log.warning("job %s: %s", objects.key(job), exc)
            continue
        if plan.recheck_after is not None:
            rechecks.append(plan.recheck_after)
    await cluster.delete_orphans("Job", all_jobs)
    return min(rechecks, default=None)

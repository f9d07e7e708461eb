"""The Job controller's decisions, pure: from a Job, its pods and the time, what to do next.

It follows the batch/v1 Job controller for one completion at a time: a pod per attempt,
retries up to ``backoffLimit`` with a doubling delay, ``podFailurePolicy`` rules on exit
codes (FailJob, Ignore, Count), ``activeDeadlineSeconds``, ``suspend`` and
``ttlSecondsAfterFinished``, and the status fields and conditions
(SuccessCriteriaMet/Complete, FailureTarget/Failed, Suspended) that Kubernetes 1.31 writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj

#: The delay before the first retry, doubled per failure (Kubernetes starts at 10 s).
RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0
DEFAULT_BACKOFF_LIMIT = 6
TIME_FIELDS = ("lastProbeTime", "lastTransitionTime")


@dataclass(frozen=True)
class JobPlan:
    """What the Job controller should do now, and the status it should write."""

    status: Obj
    create_pod: bool = False
    delete_pods: tuple[str, ...] = ()
    delete_job: bool = False
    recheck_after: float | None = None


def job_pod(job: Obj) -> Obj:
    """The pod for one attempt: the template, owned by the Job, labelled as Kubernetes does."""
    template = job.get("spec", {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    job_name, job_uid = objects.name(job), objects.uid(job)
    labels = {
        **(tmeta.get("labels") or {}),
        "batch.kubernetes.io/controller-uid": job_uid,
        "batch.kubernetes.io/job-name": job_name,
        "controller-uid": job_uid,
        "job-name": job_name,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{job_name}-",
            "namespace": objects.namespace(job),
            "labels": labels,
            "annotations": dict(tmeta.get("annotations") or {}),
            "ownerReferences": [objects.owner_reference(job, "batch/v1", "Job")],
        },
        "spec": {**(template.get("spec") or {}), "nodeName": objects.NODE_NAME},
    }


def plan_job(job: Obj, pods: Sequence[Obj], now: dt.datetime) -> JobPlan:
    spec = job.get("spec") or {}
    status: Obj = dict(job.get("status") or {})
    conditions: list[Obj] = list(status.get("conditions") or [])
    live = [p for p in pods if not objects.is_deleting(p)]
    active = [p for p in live if not objects.is_terminal(p)]
    active_names = tuple(objects.name(p) for p in active)

    if _finished(job):
        return _after_finish(spec, status, active_names, now)

    if spec.get("suspend"):
        status.update(
            active=0,
            ready=0,
            conditions=objects.with_condition(
                conditions, "Suspended", "True", "JobSuspended", "Job suspended", now, TIME_FIELDS
            ),
        )
        return JobPlan(status=status, delete_pods=active_names)

    if objects.condition_true(job, "Suspended"):
        conditions = objects.with_condition(
            conditions, "Suspended", "False", "JobResumed", "Job resumed", now, TIME_FIELDS
        )
        status["startTime"] = objects.format_time(now)
    start = objects.parse_time(status.get("startTime")) or now
    status["startTime"] = objects.format_time(start)

    restarts = 0
    if (spec.get("template") or {}).get("spec", {}).get("restartPolicy") == "OnFailure":
        restarts = sum(_restart_count(p) for p in active)
    succeeded = max(int(status.get("succeeded") or 0), _count(live, "Succeeded"))
    ignored = _policy_ignored(spec, live)
    failed = max(int(status.get("failed") or 0), _count(live, "Failed") - ignored + restarts)
    completions = int(spec.get("completions") or 1)
    backoff_limit = int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT))
    deadline = spec.get("activeDeadlineSeconds")
    status.update(succeeded=succeeded, failed=failed)

    if succeeded >= completions:
        message = "Reached expected number of succeeded pods"
        for type_ in ("SuccessCriteriaMet", "Complete"):
            conditions = objects.with_condition(
                conditions, type_, "True", "CompletionsReached", message, now, TIME_FIELDS
            )
        status.update(
            active=0, ready=0, conditions=conditions, completionTime=objects.format_time(now)
        )
        return JobPlan(status=status, delete_pods=active_names)

    failure = _policy_failure(spec, live)
    if failure is None and failed > backoff_limit:
        failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    elif (
        failure is None
        and deadline is not None
        and now >= start + dt.timedelta(seconds=float(deadline))
    ):
        failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
    if failure is not None:
        for type_ in ("FailureTarget", "Failed"):
            conditions = objects.with_condition(
                conditions, type_, "True", failure[0], failure[1], now, TIME_FIELDS
            )
        status.update(active=0, ready=0, failed=failed + len(active), conditions=conditions)
        return JobPlan(status=status, delete_pods=active_names)

    recheck: list[float] = []
    if deadline is not None:
        recheck.append((start + dt.timedelta(seconds=float(deadline)) - now).total_seconds())
    create = False
    parallelism = int(spec.get("parallelism", 1))
    if len(active) < min(parallelism, completions - succeeded):
        wait = _retry_wait(live, failed, now)
        if wait > 0:
            recheck.append(wait)
        else:
            create = True
    status.update(
        active=len(active) + int(create),
        ready=sum(1 for p in active if objects.is_ready(p)),
        conditions=conditions,
    )
    if not status["conditions"]:
        del status["conditions"]
    return JobPlan(status=status, create_pod=create, recheck_after=min(recheck, default=None))


def _finished(job: Obj) -> bool:
    return objects.condition_true(job, "Complete") or objects.condition_true(job, "Failed")


def _after_finish(spec: Obj, status: Obj, active: tuple[str, ...], now: dt.datetime) -> JobPlan:
    ttl = spec.get("ttlSecondsAfterFinished")
    if ttl is None:
        return JobPlan(status=status, delete_pods=active)
    finished_at = objects.parse_time(status.get("completionTime"))
    for type_ in ("Complete", "Failed"):
        cond = next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)
        if cond and cond.get("status") == "True":
            finished_at = finished_at or objects.parse_time(cond.get("lastTransitionTime"))
    remaining = ((finished_at or now) + dt.timedelta(seconds=float(ttl)) - now).total_seconds()
    if remaining <= 0:
        return JobPlan(status=status, delete_pods=active, delete_job=True)
    return JobPlan(status=status, delete_pods=active, recheck_after=remaining)


def _exit_codes(pod: Obj) -> list[tuple[str, int]]:
    """(container, exit code) of each terminated container of a failed pod."""
    if objects.phase(pod) != "Failed":
        return []
    found = []
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated is not None and terminated.get("exitCode") is not None:
            found.append((str(status.get("name", "")), int(terminated["exitCode"])))
    return found


def _rule_matches(rule: Obj, container: str, code: int) -> bool:
    on_codes = rule.get("onExitCodes")
    if not on_codes or code == 0:
        return False
    if on_codes.get("containerName") not in (None, container):
        return False
    inside = code in [int(v) for v in on_codes.get("values") or []]
    return inside if on_codes.get("operator", "In") == "In" else not inside


def _first_rule(spec: Obj, pod: Obj) -> tuple[int, Obj, str, int] | None:
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    for container, code in _exit_codes(pod):
        for index, rule in enumerate(rules):
            if _rule_matches(rule, container, code):
                return index, rule, container, code
    return None


def _policy_failure(spec: Obj, pods: Sequence[Obj]) -> tuple[str, str] | None:
    """The Job's failure when a failed pod matches a FailJob rule of its podFailurePolicy."""
    for pod in pods:
        matched = _first_rule(spec, pod)
        if matched is not None and matched[1].get("action") == "FailJob":
            index, _, container, code = matched
            return (
                "PodFailurePolicy",
                f"Container {container} for pod {objects.name(pod)} failed with exit code "
                f"{code} matching FailJob rule at index {index}",
            )
    return None


def _policy_ignored(spec: Obj, pods: Sequence[Obj]) -> int:
    """Failed pods an Ignore rule says not to count against backoffLimit."""
    return sum(
        1
        for pod in pods
        if (matched := _first_rule(spec, pod)) is not None and matched[1].get("action") == "Ignore"
    )


def _count(pods: Sequence[Obj], phase: str) -> int:
    return sum(1 for p in pods if objects.phase(p) == phase)


def _restart_count(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses)


def _retry_wait(pods: Sequence[Obj], failed: int, now: dt.datetime) -> float:
    """Seconds left before the next attempt may start, after ``failed`` failures."""
    if failed == 0:
        return 0.0
    finished = [
        t
        for p in pods
        if objects.phase(p) == "Failed"
        for s in (p.get("status") or {}).get("containerStatuses") or []
        if (t := objects.parse_time((s.get("state") or {}).get("terminated", {}).get("finishedAt")))
    ]
    if not finished:
        return 0.0
    delay = min(RETRY_DELAY * 2 ** (failed - 1), MAX_RETRY_DELAY)
    return (max(finished) + dt.timedelta(seconds=delay) - now).total_seconds()

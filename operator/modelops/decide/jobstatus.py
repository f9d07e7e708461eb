"""Reading a Job and its pods as the Job controller reports them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class JobState:
    """What a Job's status says, reduced to what the controllers need."""

    outcome: str  # "Pending", "Running", "Succeeded", "Failed", "Suspended"
    reason: str
    message: str
    attempts: int
    start_time: datetime | None
    completion_time: datetime | None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def job_state(job: Obj) -> JobState:
    """The state of ``job`` from its spec and status."""
    status = job.get("status") or {}
    conditions = {
        c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"
    }
    attempts = int(status.get("succeeded") or 0) + int(status.get("failed") or 0)
    attempts += int(status.get("active") or 0)
    start, end = _time(status.get("startTime")), _time(status.get("completionTime"))
    for kind, outcome in (("Complete", "Succeeded"), ("Failed", "Failed")):
        if kind in conditions:
            condition = conditions[kind]
            end = end or _time(condition.get("lastTransitionTime"))
            return JobState(
                outcome,
                str(condition.get("reason") or kind),
                str(condition.get("message") or ""),
                attempts,
                start,
                end,
            )
    if "Suspended" in conditions or (job.get("spec") or {}).get("suspend"):
        return JobState("Suspended", "Suspended", "the Job is suspended", attempts, start, None)
    if int(status.get("active") or 0) > 0:
        return JobState("Running", "Running", "", attempts, start, None)
    return JobState(
        "Pending", "Pending", "waiting for the Job to start a pod", attempts, start, None
    )


def ended(job: Obj | None) -> bool:
    """Whether ``job`` has finished, so its pods' termination messages are worth reading."""
    return job is not None and job_state(job).outcome in ("Succeeded", "Failed")


def termination_summary(pods: list[Obj]) -> Obj | None:
    """The JSON summary the last finished container wrote to its termination message.

    A message that is not a JSON object (a crash's last log lines, with
    FallbackToLogsOnError) becomes an unsuccessful summary carrying its tail.
    """
    finished: list[tuple[str, str]] = []
    for pod in pods:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (status.get("state") or {}).get("terminated")
            if terminated and terminated.get("message"):
                finished.append((str(terminated.get("finishedAt") or ""), terminated["message"]))
    if not finished:
        return None
    _, message = max(finished)
    try:
        summary = json.loads(message)
    except ValueError:
        summary = None
    if isinstance(summary, dict):
        return summary
    tail = message.strip().splitlines()[-5:]
    return {"ok": False, "message": " | ".join(line.strip() for line in tail)[-900:]}

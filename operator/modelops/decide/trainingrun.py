"""What a TrainingRun's status is, given its Job and the trainer's summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelops.api.common import set_condition
from modelops.api.trainingrun import TrainingPhase, TrainingRunStatus
from modelops.decide.jobs import JobState

TERMINAL = (TrainingPhase.SUCCEEDED, TrainingPhase.FAILED)

_JOB_REASONS = {
    "BackoffLimitExceeded": "BackoffLimitExceeded",
    "DeadlineExceeded": "DeadlineExceeded",
    "PodFailurePolicy": "TrainingFailed",
}


def is_terminal(status: TrainingRunStatus) -> bool:
    return status.phase in TERMINAL


def invalid(
    status: TrainingRunStatus, message: str, now: datetime, generation: int
) -> TrainingRunStatus:
    """The status of a run whose spec cannot work."""
    return _with_phase(status, TrainingPhase.FAILED, "InvalidSpec", message, now, generation)


def training_status(
    status: TrainingRunStatus,
    job_name: str,
    job: JobState | None,
    summary: dict[str, Any] | None,
    artifact_uri: str,
    now: datetime,
    generation: int,
) -> TrainingRunStatus:
    """The next status of a run. A Succeeded or Failed run stays so (its Job may be gone)."""
    if is_terminal(status):
        return status
    status = status.model_copy(update={"job_name": job_name, "artifact_uri": artifact_uri})
    if job is None:
        return _with_phase(status, TrainingPhase.PENDING, "JobCreated", "", now, generation)
    status = status.model_copy(
        update={"attempts": job.attempts, "start_time": job.start_time or status.start_time}
    )
    if job.outcome == "Succeeded":
        if summary is None or not summary.get("ok"):
            return _with_phase(
                status,
                TrainingPhase.FAILED,
                "NoResult",
                "the trainer exited 0 but wrote no summary to its termination message",
                now,
                generation,
            )
        metrics = {k: float(v) for k, v in (summary.get("metrics") or {}).items()}
        status = status.model_copy(
            update={
                "metrics": metrics,
                "key_metric": summary.get("keyMetric"),
                "completion_time": job.completion_time or now,
            }
        )
        return _with_phase(status, TrainingPhase.SUCCEEDED, "Succeeded", "", now, generation)
    if job.outcome == "Failed":
        reason = _JOB_REASONS.get(job.reason, "TrainingFailed")
        message = job.message
        if summary is not None and not summary.get("ok"):
            reason = str(summary.get("reason") or reason)
            message = str(summary.get("message") or message)
        status = status.model_copy(update={"completion_time": job.completion_time or now})
        return _with_phase(status, TrainingPhase.FAILED, reason, message, now, generation)
    phase = TrainingPhase(job.outcome)
    return _with_phase(status, phase, job.reason, job.message, now, generation)


def _with_phase(
    status: TrainingRunStatus,
    phase: TrainingPhase,
    reason: str,
    message: str,
    now: datetime,
    generation: int,
) -> TrainingRunStatus:
    conditions = status.conditions
    for kind, active in (
        ("Running", phase == TrainingPhase.RUNNING),
        ("Suspended", phase == TrainingPhase.SUSPENDED),
        ("Succeeded", phase == TrainingPhase.SUCCEEDED),
        ("Failed", phase == TrainingPhase.FAILED),
    ):
        if active:
            conditions = set_condition(
                conditions, kind, True, reason, message, now=now, generation=generation
            )
        elif any(c.type == kind for c in conditions):
            conditions = set_condition(
                conditions, kind, False, str(phase), "", now=now, generation=generation
            )
    conditions = set_condition(
        conditions,
        "Ready",
        phase == TrainingPhase.SUCCEEDED,
        reason if phase != TrainingPhase.SUCCEEDED else "Succeeded",
        message,
        now=now,
        generation=generation,
    )
    return status.model_copy(
        update={
            "phase": phase,
            "conditions": conditions,
            "observed_generation": generation,
            "message": message or None,
        }
    )

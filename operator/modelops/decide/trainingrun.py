"""The TrainingRun planner: its Job, its status from the Job, a ModelVersion on success.

``plan`` is the whole rule book of a run; ``training_status`` reads the Job and the
trainer's summary. A run whose Job name is taken by an object it does not own waits
with a ``Conflict`` condition and never reads or touches that object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from modelops.api.common import describe, set_condition, status_of
from modelops.api.trainingrun import TrainingPhase, TrainingRunSpec, TrainingRunStatus
from modelops.decide import admission
from modelops.decide.jobstatus import JobState, ended, job_state, termination_summary
from modelops.decide.plan import Builder, Plan, Write
from modelops.decide.versions import next_version
from modelops.render import batchjobs, names, registry
from modelops.settings import Settings
from modelops.structs import Obj, Owner, Ref, owned_by

TERMINAL = (TrainingPhase.SUCCEEDED, TrainingPhase.FAILED)

_JOB_REASONS = {
    "BackoffLimitExceeded": "BackoffLimitExceeded",
    "DeadlineExceeded": "DeadlineExceeded",
    "PodFailurePolicy": "TrainingFailed",
}


@dataclass(frozen=True)
class Observed:
    """What a TrainingRun's reconcile read."""

    body: Obj | None
    job: Obj | None = None
    #: The run's trainer pods (read once its Job has ended).
    pods: list[Obj] = field(default_factory=list)
    #: The namespace's ModelVersions (read once the run has succeeded).
    versions: list[Obj] = field(default_factory=list)


def settled(status: TrainingRunStatus) -> bool:
    """A run that failed, or succeeded and registered its version, has nothing left to do."""
    return status.phase == TrainingPhase.FAILED or (
        status.phase == TrainingPhase.SUCCEEDED and status.model_version is not None
    )


def plan(observed: Observed, now: datetime, settings: Settings) -> Plan[TrainingRunStatus]:
    """What to do about one TrainingRun."""
    body = observed.body
    if body is None:
        return Plan(None)
    out: Builder[TrainingRunStatus] = Builder()
    about = Ref.of(body)
    status = status_of(TrainingRunStatus, body)
    generation = int(body["metadata"].get("generation", 1))
    if settled(status):
        return out.done(status)
    try:
        spec = TrainingRunSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        new = invalid(status, describe(error), now, generation)
        _phase_event(out, about, status, new)
        return out.done(new)

    refusals = admission.training_refusals(spec, settings)
    if refusals:
        new = invalid(status, "; ".join(refusals), now, generation)
        _phase_event(out, about, status, new)
        return out.done(new)
    owner = Owner.of(body)
    job_name = names.training_job(owner.name)
    job = observed.job
    if job is not None and not owned_by(job, owner.uid):
        message = f"Job {job_name} exists and is not owned by this TrainingRun; delete or rename it"
        new = _with_phase(status, TrainingPhase.PENDING, "Conflict", message, now, generation)
        return out.done(new.model_copy(update={"job_name": job_name}))
    if job is None and not is_terminal(status):
        out.write(Write.create(batchjobs.training_job(owner, spec, settings)))
        out.event(about, "JobCreated", f"created Job {job_name}")
    elif job is not None and bool(job["spec"].get("suspend")) != spec.suspend:
        out.write(Write.patch(Ref.of(job), {"spec": {"suspend": spec.suspend}}))

    state = job_state(job) if job is not None else None
    summary = termination_summary(observed.pods) if ended(job) else None
    artifact = batchjobs.artifact_uri(spec, owner, settings)
    new = training_status(status, job_name, state, summary, artifact, now, generation)
    if new.phase == TrainingPhase.SUCCEEDED and new.model_version is None and summary:
        version = _register(out, owner, spec, summary, observed.versions)
        new = new.model_copy(update={"model_version": version})
    _phase_event(out, about, status, new)
    return out.done(new)


def _register(
    out: Builder[TrainingRunStatus],
    owner: Owner,
    spec: TrainingRunSpec,
    summary: dict[str, Any],
    versions: list[Obj],
) -> str:
    """The run's ModelVersion: found if it exists, else created with the next free number.

    Two runs of one model may pick the same number; the second create conflicts, and
    its next plan, reading the first one's version, takes the number after it.
    """
    same_model = [v for v in versions if (v.get("spec") or {}).get("model") == spec.model]
    mine = names.label_value(owner.name)
    for version in same_model:
        if (version["metadata"].get("labels") or {}).get(names.TRAINING_RUN) == mine:
            return str(version["metadata"]["name"])
    number = next_version(int(v["spec"]["version"]) for v in same_model)
    taken = {str(v["metadata"]["name"]) for v in versions}
    while names.model_version(spec.model, number) in taken:
        number += 1
    obj = registry.registered_version(owner.name, owner.namespace, spec, summary, number)
    name = str(obj["metadata"]["name"])
    out.write(Write.create(obj))
    out.event(owner.ref(), "Registered", f"registered ModelVersion {name}")
    return name


def _phase_event(
    out: Builder[TrainingRunStatus],
    about: Ref,
    old: TrainingRunStatus,
    new: TrainingRunStatus,
) -> None:
    if new.phase != old.phase:
        detail = f": {new.message}" if new.message else ""
        failed = new.phase == TrainingPhase.FAILED
        out.event(about, str(new.phase), f"phase {old.phase} -> {new.phase}{detail}", failed)


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

"""What a ModelVersion's status is, given its scan Job, and which stage it may take."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelops.api.common import set_condition
from modelops.api.modelversion import (
    ModelVersionSpec,
    ModelVersionStatus,
    Stage,
    VersionPhase,
)
from modelops.api.trainingrun import key_metric
from modelops.api.validation import Finding
from modelops.decide.jobs import JobState

TERMINAL = (VersionPhase.VALIDATED, VersionPhase.REJECTED)
MAX_FINDINGS = 20


def scan_status(
    spec: ModelVersionSpec,
    status: ModelVersionStatus,
    job_name: str,
    job: JobState | None,
    summary: dict[str, Any] | None,
    now: datetime,
    generation: int,
) -> ModelVersionStatus:
    """The next status from the scan. Validated and Rejected are final."""
    if status.phase in TERMINAL:
        return status
    scan = status.scan.model_copy(update={"job_name": job_name})
    status = status.model_copy(
        update={
            "scan": scan,
            "key_metric": status.key_metric or key_metric(spec.task, spec.metrics),
        }
    )
    if job is None or job.outcome in ("Pending", "Running", "Suspended"):
        return _phase(
            status, VersionPhase.VALIDATING, "Scanning", "the scan Job is running", now, generation
        )
    if job.outcome == "Succeeded" and summary is not None and summary.get("ok"):
        return _scanned(spec, status, summary, now, generation)
    reason, message = "ScanFailed", job.message or "the scan Job failed"
    if summary is not None and not summary.get("ok"):
        reason = str(summary.get("reason") or reason)
        message = str(summary.get("message") or message)
    elif job.outcome == "Succeeded":
        message = "the scanner exited 0 but wrote no summary to its termination message"
    scan = scan.model_copy(update={"passed": False, "completed_at": job.completion_time or now})
    status = status.model_copy(update={"scan": scan})
    return _phase(status, VersionPhase.REJECTED, reason, message, now, generation)


def _scanned(
    spec: ModelVersionSpec,
    status: ModelVersionStatus,
    summary: dict[str, Any],
    now: datetime,
    generation: int,
) -> ModelVersionStatus:
    passed = bool(summary.get("passed"))
    findings = [_finding(f) for f in (summary.get("blocking") or [])[:MAX_FINDINGS]]
    metrics = {k: float(v) for k, v in (summary.get("metrics") or {}).items()}
    scan = status.scan.model_copy(
        update={
            "passed": passed,
            "summary": {k: int(v) for k, v in (summary.get("summary") or {}).items()},
            "findings": findings,
            "metrics": metrics,
            "champion": summary.get("champion"),
            "beats_champion": summary.get("beatsChampion"),
            "report_uri": summary.get("reportUri"),
            "completed_at": now,
        }
    )
    status = status.model_copy(
        update={"scan": scan, "key_metric": key_metric(spec.task, metrics) or status.key_metric}
    )
    if passed:
        return _phase(
            status, VersionPhase.VALIDATED, "ScanPassed", "no blocking finding", now, generation
        )
    detail = "; ".join(f.message for f in findings[:3]) or "blocking findings"
    return _phase(status, VersionPhase.REJECTED, "BlockingFindings", detail, now, generation)


def _finding(raw: dict[str, Any]) -> Finding:
    """A finding from the scanner's summary, keeping only the fields the API knows."""
    known = {field.alias or name for name, field in Finding.model_fields.items()}
    data = {k: v for k, v in raw.items() if k in known}
    data["message"] = str(data.get("message", ""))[:1024]
    return Finding.model_validate(data)


def _phase(
    status: ModelVersionStatus,
    phase: VersionPhase,
    reason: str,
    message: str,
    now: datetime,
    generation: int,
) -> ModelVersionStatus:
    conditions = status.conditions
    if phase in TERMINAL:
        passed = phase == VersionPhase.VALIDATED
        conditions = set_condition(
            conditions, "ScanPassed", passed, reason, message, now=now, generation=generation
        )
    conditions = set_condition(
        conditions,
        "Validated",
        phase == VersionPhase.VALIDATED,
        reason,
        message,
        now=now,
        generation=generation,
    )
    return status.model_copy(
        update={
            "phase": phase,
            "conditions": conditions,
            "observed_generation": generation,
            "message": message,
        }
    )


def stage_status(
    spec: ModelVersionSpec, status: ModelVersionStatus, now: datetime, generation: int
) -> ModelVersionStatus:
    """Apply the desired stage: anything but Production at once, Production only if Validated.

    A version that may not enter Production keeps its current stage, and the
    Ready condition says why.
    """
    desired = Stage(spec.stage)
    stage = Stage(status.stage)
    if desired != Stage.PRODUCTION or status.phase == VersionPhase.VALIDATED:
        stage = desired
    blocked = desired == Stage.PRODUCTION and stage != Stage.PRODUCTION
    if status.phase == VersionPhase.REJECTED:
        ready, reason, message = False, "Rejected", status.message or "the scan rejected it"
    elif blocked:
        ready, reason, message = (
            False,
            "NotValidated",
            "stage Production waits until the version is Validated",
        )
    elif status.phase == VersionPhase.VALIDATED:
        ready, reason, message = True, "Validated", f"stage {stage}"
    else:
        ready, reason, message = False, str(status.phase), "waiting for the scan"
    conditions = set_condition(
        status.conditions, "Ready", ready, reason, message, now=now, generation=generation
    )
    return status.model_copy(update={"stage": stage, "conditions": conditions})

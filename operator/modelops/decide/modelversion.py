"""What a ModelVersion's status is, given its scan Job, and which stage it may take."""

from __future__ import annotations

import textwrap
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
#: Blocking findings kept in the status (the scanner's 4 KiB summary holds about this many).
MAX_FINDINGS = 20
#: Length of the Rejected condition's message, which names every blocking finding that fits.
MAX_MESSAGE = 1024


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
    if "findings" in summary:
        raw = [f for f in summary.get("findings") or [] if f.get("blocking")]
    else:  # a scanner from before findings carried their setting
        raw = list(summary.get("blocking") or [])
    findings = [_finding(f) for f in raw[:MAX_FINDINGS]]
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
    total = len(raw) + int(summary.get("omitted") or 0)
    detail = _rejection(findings, total) if findings else "blocking findings"
    return _phase(status, VersionPhase.REJECTED, "BlockingFindings", detail, now, generation)


def _rejection(findings: list[Finding], total: int) -> str:
    """Every blocking finding that fits, each message cut at a word, its setting never cut."""
    head = f"{total} blocking finding{'s' if total != 1 else ''}: "
    budget = max(60, (MAX_MESSAGE - len(head)) // len(findings) - 2)
    parts: list[str] = []
    for finding in findings:
        fix = f" (passes with {finding.setting}: {finding.passes_at})" if finding.setting else ""
        room = max(budget - len(fix) - len(finding.detector) - 2, 20)
        text = finding.message or f"{finding.detector} {finding.metric or ''}".strip()
        if len(text) > room:
            text = textwrap.shorten(text, width=room, placeholder=" ...")
        part = f"{finding.detector}: {text}{fix}"
        rest = total - len(parts) - 1
        more = f"; and {rest} more in the scan report" if rest else ""
        if len(head) + len("; ".join([*parts, part])) + len(more) > MAX_MESSAGE:
            break
        parts.append(part)
    shown = len(parts)
    tail = f"; and {total - shown} more in the scan report" if total > shown else ""
    return head + "; ".join(parts) + tail


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

"""The ModelVersion planner: a scan Job per version, its verdict, and the stage it may take.

It owns the registry's two rules. **Nothing is Validated that was not scanned**: the
verdict is read from the version's own scan Job (owned by it, running the operator's
scanner on this artifact and digest) and from that Job's pods, never from the status
alone; a Validated status without such a Job is scanned again. **Exactly one
Production version per model**: promoting one archives the model's others, and only
those of the same model.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from modelops import API_VERSION
from modelops.api.common import describe, set_condition, status_of
from modelops.api.modelversion import (
    ModelVersionSpec,
    ModelVersionStatus,
    Stage,
    VersionPhase,
)
from modelops.api.trainingrun import key_metric
from modelops.api.validation import Finding
from modelops.decide.jobstatus import JobState, ended, job_state, termination_summary
from modelops.decide.plan import Builder, Plan, Write
from modelops.render import batchjobs, names
from modelops.settings import Settings
from modelops.structs import Obj, Owner, Ref, owned_by
from modelops.uris import join

TERMINAL = (VersionPhase.VALIDATED, VersionPhase.REJECTED)
#: Blocking findings kept in the status (the scanner's 4 KiB summary holds about this many).
MAX_FINDINGS = 20
KIND = "ModelVersion"
#: The scan's arguments that name the champion; they change as Production changes.
_CHAMPION_FLAGS = ("--champion-name", "--champion-uri", "--champion-digest")


@dataclass(frozen=True)
class Observed:
    """What a ModelVersion's reconcile read."""

    body: Obj | None
    job: Obj | None = None
    #: The scan Job's pods (read once it has ended).
    pods: list[Obj] = field(default_factory=list)
    #: The namespace's ModelVersions (for the champion and the one-Production rule).
    versions: list[Obj] = field(default_factory=list)


def plan(observed: Observed, now: datetime, settings: Settings) -> Plan[ModelVersionStatus]:
    """What to do about one ModelVersion."""
    body = observed.body
    if body is None:
        return Plan(None)
    out: Builder[ModelVersionStatus] = Builder()
    about = Ref.of(body)
    status = status_of(ModelVersionStatus, body)
    generation = int(body["metadata"].get("generation", 1))
    try:
        spec = ModelVersionSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        new = _phase(status, VersionPhase.REJECTED, "InvalidSpec", describe(error), now, generation)
        _phase_events(out, about, status, new)
        return out.done(new)

    trespass = artifact_trespass(spec, Owner.of(body), settings)
    if trespass:
        new = _phase(status, VersionPhase.REJECTED, "InvalidSpec", trespass, now, generation)
        _phase_events(out, about, status, new)
        return out.done(new)
    owner = Owner.of(body)
    champion = _champion(observed.versions, spec, owner)
    rendered = batchjobs.scan_job(owner, spec, settings, champion)
    job = observed.job
    job_name = names.scan_job(owner.name)
    new = status
    if job is not None and not owned_by(job, owner.uid):
        message = (
            f"Job {job_name} exists and is not owned by this ModelVersion; delete or rename it"
        )
        new = _phase(_reset(status), VersionPhase.PENDING, "Conflict", message, now, generation)
    elif job is not None and not genuine_scan(job, rendered):
        message = f"Job {job_name} does not run the operator's scan of this artifact; delete it"
        new = _phase(_reset(status), VersionPhase.PENDING, "Conflict", message, now, generation)
    else:
        if status.phase in TERMINAL and not _verdict_holds(status, job, observed.pods):
            status = _reset(status)  # a verdict without its evidence is scanned (again)
        if job is None and status.phase not in TERMINAL:
            out.write(Write.create(rendered))
            detail = f" against champion {champion.name}" if champion else ""
            out.event(about, "ScanStarted", f"created scan Job {job_name}{detail}")
        state = job_state(job) if job is not None else None
        summary = scan_summary(job, observed.pods) if ended(job) else None
        new = scan_status(spec, status, job_name, state, summary, now, generation)
    new = stage_status(spec, new, now, generation)
    if new.stage == Stage.PRODUCTION and status.stage != Stage.PRODUCTION:
        _archive_others(out, observed.versions, spec.model, owner.name)
    new = new.model_copy(update={"observed_generation": generation})
    _phase_events(out, about, status_of(ModelVersionStatus, body), new)
    return out.done(new)


def artifact_trespass(spec: ModelVersionSpec, owner: Owner, settings: Settings) -> str | None:
    """Why ``artifactUri`` may not be used: inside the operator's artifact tree, a version
    reads only its own namespace's and model's artifacts (never another tenant's model).
    """
    root = settings.artifact_root.rstrip("/") + "/"
    if not spec.artifact_uri.startswith(root):
        return None
    own = join(settings.artifact_root, owner.namespace, spec.model) + "/"
    if (
        spec.artifact_uri.rstrip("/").startswith(own.rstrip("/") + "/")
        and ".." not in spec.artifact_uri
    ):
        return None
    return (
        f"spec.artifactUri: {spec.artifact_uri} is in the operator's artifact store but not under "
        f"{own} (this namespace's {spec.model}); import a model from a location of your own"
    )


def genuine_scan(job: Obj, rendered: Obj) -> bool:
    """Whether ``job`` runs the operator's scanner on this version's artifact and digest.

    Its pod template must be the rendered one (image, command and every argument but the
    champion, which changes as Production changes): a Job made by hand under the scan
    Job's name, with a policy of its own, certifies nothing.
    """
    mine = _container(job)
    want = _container(rendered)
    return (
        mine.get("image") == want.get("image")
        and mine.get("command") == want.get("command")
        and _without_champion(mine.get("args") or []) == _without_champion(want.get("args") or [])
    )


def scan_summary(job: Obj | None, pods: list[Obj]) -> dict[str, Any] | None:
    """The scanner's summary from the Job's own pods: owned by it and running its container."""
    if job is None:
        return None
    uid = str(job["metadata"].get("uid") or "")
    container = _container(job)
    own = [
        p
        for p in pods
        if owned_by(p, uid)
        and any(
            c.get("command") == container.get("command") and c.get("args") == container.get("args")
            for c in (p.get("spec") or {}).get("containers") or []
        )
    ]
    return termination_summary(own)


def _verdict_holds(status: ModelVersionStatus, job: Obj | None, pods: list[Obj]) -> bool:
    """Whether the scan Job still backs the status: a Validated version needs a passing scan."""
    if status.phase != VersionPhase.VALIDATED:
        return True
    if job is None or not ended(job):
        return False
    summary = scan_summary(job, pods)
    return summary is not None and bool(summary.get("ok")) and bool(summary.get("passed"))


def _reset(status: ModelVersionStatus) -> ModelVersionStatus:
    return status.model_copy(update={"phase": VersionPhase.PENDING})


def _container(job: Obj) -> dict[str, Any]:
    containers = ((job.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers")
    return dict((containers or [{}])[0])


def _without_champion(args: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _CHAMPION_FLAGS:
            skip = True
        else:
            kept.append(arg)
    return kept


def _champion(
    versions: list[Obj], spec: ModelVersionSpec, owner: Owner
) -> batchjobs.Champion | None:
    """The model's Production version the candidate is compared with, if there is one."""
    for version in versions:
        other, other_status = version.get("spec") or {}, version.get("status") or {}
        if (
            other.get("model") == spec.model
            and version["metadata"]["name"] != owner.name
            and other_status.get("stage") == Stage.PRODUCTION
        ):
            return batchjobs.Champion(
                name=version["metadata"]["name"],
                artifact_uri=other["artifactUri"],
                digest=other["digest"],
            )
    return None


def _archive_others(
    out: Builder[ModelVersionStatus], versions: list[Obj], model: str, promoted: str
) -> None:
    """Archive the model's other Production versions: the one-Production rule's only owner."""
    for version in versions:
        other, other_status = version.get("spec") or {}, version.get("status") or {}
        name = version["metadata"]["name"]
        if other.get("model") != model or name == promoted:
            continue
        if Stage.PRODUCTION in (other.get("stage"), other_status.get("stage")):
            ref = Ref(
                API_VERSION,
                KIND,
                version["metadata"]["namespace"],
                name,
                str(version["metadata"].get("uid") or ""),
            )
            out.write(Write.patch(ref, {"spec": {"stage": Stage.ARCHIVED}}))
            out.write(Write.patch_status(ref, {"stage": Stage.ARCHIVED}))
            out.event(ref, "Archived", f"archived: {promoted} is now in Production")


def _phase_events(
    out: Builder[ModelVersionStatus],
    about: Ref,
    old: ModelVersionStatus,
    new: ModelVersionStatus,
) -> None:
    if new.phase != old.phase and new.phase in TERMINAL:
        rejected = new.phase == VersionPhase.REJECTED
        out.event(about, str(new.phase), new.message or str(new.phase), rejected)
    if new.stage != old.stage:
        out.event(about, "StageChanged", f"stage {old.stage} -> {new.stage}")


def status_patch(status: ModelVersionStatus) -> Obj:
    """The status merge patch; ``deployedBy`` belongs to the ModelDeployment planner."""
    patch = status.to_merge_patch()
    del patch["deployedBy"]
    return patch


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
    if summary is not None and summary.get("ok"):
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

"""The retraining policy: is the model drifted, and should a TrainingRun start now?

A reading with no data (no rows yet, an empty or NaN query result) never
triggers and says NoData. Drift must stay above the threshold for the policy's
``for`` duration; at most one run is in flight; runs are spaced by a cooldown;
after ``maxFailures`` failed runs in a row the policy stops and says so.

``plan`` is the state machine of one deployment's retraining, run by the
ModelDeployment planner: follow the last run (trained -> scanned -> promoted, or
waiting for a person, rejected, failed), honour a retrain request, judge a fresh drift
reading and start a run. Promotion is only asked for, as a patch of the new version's
stage; archiving the old one is the ModelVersion planner's rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from modelops import API_VERSION
from modelops.api.common import set_condition
from modelops.api.modeldeployment import (
    DriftStatus,
    ModelDeploymentStatus,
    RetrainingOutcome,
    RetrainingPolicy,
    RetrainingStatus,
)
from modelops.api.modelversion import Stage, VersionPhase
from modelops.api.trainingrun import TrainingPhase
from modelops.decide.durations import seconds
from modelops.decide.plan import Builder, Write
from modelops.render import names
from modelops.render.retraining import retraining_run
from modelops.settings import Settings
from modelops.structs import Obj, Owner, Ref

#: Set this annotation (to any new value, e.g. a timestamp) to retrain now, drift or not.
RETRAIN_ANNOTATION = "modelops.dev/retrain-requested"
PROMOTE_PATCH = '{"spec":{"stage":"Production"}}'
FOLLOWED = (
    RetrainingOutcome.RUNNING,
    RetrainingOutcome.VALIDATING,
    RetrainingOutcome.AWAITING_APPROVAL,
)
ENDED = (
    RetrainingOutcome.PROMOTED,
    RetrainingOutcome.AWAITING_APPROVAL,
    RetrainingOutcome.REJECTED,
    RetrainingOutcome.FAILED,
)


class DriftState(StrEnum):
    NO_DATA = "NoData"
    NORMAL = "Normal"
    PENDING = "Pending"
    DRIFTED = "Drifted"


@dataclass(frozen=True)
class Reading:
    """One drift observation from Prometheus or from the serving pods."""

    score: float | None
    rows: int | None
    drifted: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Verdict:
    """What a reading means under the policy: NoData, Normal, Pending or Drifted."""

    state: DriftState
    message: str


def judge(
    policy: RetrainingPolicy, previous: DriftStatus | None, reading: Reading, now: datetime
) -> tuple[DriftStatus, Verdict]:
    """The new drift status and what it means."""
    status = DriftStatus(
        score=reading.score if reading.score is not None and math.isfinite(reading.score) else None,
        threshold=policy.threshold,
        drifted_features=list(reading.drifted),
        rows=reading.rows,
        source=reading.source,
        last_checked=now,
    )
    if status.score is None:
        return status, Verdict(DriftState.NO_DATA, f"no drift score from {reading.source}")
    if reading.rows is not None and reading.rows < policy.min_rows:
        return status, Verdict(
            DriftState.NO_DATA, f"{reading.rows} rows observed, {policy.min_rows} needed to judge"
        )
    if status.score <= policy.threshold:
        return status, Verdict(
            DriftState.NORMAL,
            f"drift {status.score:.3f} is within the threshold {policy.threshold}",
        )
    since = previous.above_since if previous and previous.above_since else now
    status = status.model_copy(update={"above_since": since})
    held = (now - since).total_seconds()
    needed = seconds(policy.for_)
    features = ", ".join(reading.drifted[:5]) or "overall"
    if held < needed:
        return status, Verdict(
            DriftState.PENDING,
            f"drift {status.score:.3f} above {policy.threshold} for {held:.0f}s of {needed:.0f}s",
        )
    return status, Verdict(
        DriftState.DRIFTED,
        f"drift {status.score:.3f} above {policy.threshold} for {held:.0f}s ({features})",
    )


@dataclass(frozen=True)
class Decision:
    start: bool
    reason: str
    message: str


def should_retrain(
    policy: RetrainingPolicy,
    verdict: Verdict,
    last: RetrainingStatus | None,
    in_flight: bool,
    failures: int,
    now: datetime,
) -> Decision:
    """Whether to start a TrainingRun now, and if not, why not."""
    if verdict.state != DriftState.DRIFTED:
        return Decision(False, verdict.state, verdict.message)
    if not policy.enabled:
        return Decision(False, "Disabled", "retraining is disabled; drift is only observed")
    if in_flight:
        return Decision(False, "InFlight", f"waiting for {last.run if last else 'a run'} to finish")
    if failures >= policy.max_failures:
        return Decision(
            False,
            "TooManyFailures",
            f"{failures} retraining runs failed in a row; fix the template and reset",
        )
    if last is not None:
        ready_at = last.started + timedelta(seconds=seconds(policy.cooldown))
        if now < ready_at:
            wait = (ready_at - now).total_seconds()
            return Decision(False, "Cooldown", f"cooldown: next run allowed in {wait:.0f}s")
    return Decision(True, "DriftDetected", verdict.message)


@dataclass(frozen=True)
class Source:
    """Where drift is read from: a Prometheus URL (with an optional query) or the pods."""

    url: str | None
    query: str | None
    refused: str | None = None  # why the policy's URL may not be queried


def source(policy: RetrainingPolicy, settings: Settings) -> Source:
    """The drift source of a policy; a Prometheus the admin has not allowed is refused.

    The operator holds cluster-wide rights, so it queries only the settings' Prometheus
    and the URLs ``MODELOPS_PROMETHEUS_ALLOWED`` lists (prefixes), never one a user chose.
    """
    if policy.prometheus is None:
        return Source(settings.prometheus_url or None, None)
    url = policy.prometheus.url or settings.prometheus_url
    allowed = [settings.prometheus_url, *settings.prometheus_allowed.split(",")]
    if url and not any(prefix.strip() and url.startswith(prefix.strip()) for prefix in allowed):
        return Source(None, None, f"Prometheus {url} is not allowed by the operator's settings")
    return Source(url or None, policy.prometheus.query)


def drift_due(policy: RetrainingPolicy, status: ModelDeploymentStatus, now: datetime) -> bool:
    """Whether the drift score should be read now (once per ``checkInterval``)."""
    checked = status.drift.last_checked if status.drift else None
    return checked is None or (now - checked).total_seconds() >= seconds(policy.check_interval)


@dataclass(frozen=True)
class Observed:
    """What the retraining step read: the namespace's runs, and a fresh reading if due."""

    runs: list[Obj] = field(default_factory=list)
    #: (version the reading is of, the reading), when a reading was due.
    reading: tuple[int, Reading] | None = None


def plan(
    out: Builder[ModelDeploymentStatus],
    body: Obj,
    policy: RetrainingPolicy | None,
    status: ModelDeploymentStatus,
    observed: Observed,
    versions: list[Obj],
    now: datetime,
) -> ModelDeploymentStatus:
    """The deployment's next status after one step of its retraining policy."""
    version = status.current_version
    if policy is None or version is None:
        return status
    generation = int(body["metadata"].get("generation", 1))
    owner = Owner.of(body)
    status = _follow(out, owner, policy, status, observed.runs, versions, now, generation)
    runs = [r for r in observed.runs if _started_by(r, owner)]
    in_flight = any(
        _run_phase(r) not in (TrainingPhase.SUCCEEDED, TrainingPhase.FAILED) for r in runs
    )
    requested = (body["metadata"].get("annotations") or {}).get(RETRAIN_ANNOTATION)
    if requested and requested != status.retrain_request and not in_flight:
        status = status.model_copy(update={"retrain_request": requested})
        return _start(
            out, owner, policy, status, observed.runs, "requested by annotation", now, generation
        )
    if observed.reading is None or observed.reading[0] != version:
        return status
    drift, verdict = judge(policy, status.drift, observed.reading[1], now)
    drifted = verdict.state == DriftState.DRIFTED
    conditions = set_condition(
        status.conditions,
        "DriftDetected",
        drifted,
        "DriftDetected" if drifted else str(verdict.state),
        verdict.message,
        now=now,
        generation=generation,
    )
    status = status.model_copy(update={"drift": drift, "conditions": conditions})
    decision = should_retrain(
        policy, verdict, status.last_retraining, in_flight, status.retraining_failures, now
    )
    if not decision.start:
        if not in_flight and decision.reason in ("Cooldown", "TooManyFailures", "Disabled"):
            status = _condition(status, False, decision.reason, decision.message, now, generation)
        return status
    return _start(out, owner, policy, status, observed.runs, decision.message, now, generation)


def _started_by(run: Obj, owner: Owner) -> bool:
    labels = run["metadata"].get("labels") or {}
    return labels.get(names.DEPLOYMENT) == names.label_value(owner.name)


def _run_phase(run: Obj) -> str | None:
    phase = (run.get("status") or {}).get("phase")
    return str(phase) if phase is not None else None


def _start(
    out: Builder[ModelDeploymentStatus],
    owner: Owner,
    policy: RetrainingPolicy,
    status: ModelDeploymentStatus,
    runs: list[Obj],
    reason: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    """Create the next TrainingRun, named after the first sequence number not taken."""
    taken = {r["metadata"]["name"] for r in runs}
    sequence = 1 + sum(1 for r in runs if _started_by(r, owner))
    run = retraining_run(owner, policy, sequence, reason)
    while run["metadata"]["name"] in taken:
        sequence += 1
        run = retraining_run(owner, policy, sequence, reason)
    name = run["metadata"]["name"]
    out.write(Write.create(run))
    out.event(owner.ref(), "RetrainingStarted", f"started TrainingRun {name}: {reason}")
    last = RetrainingStatus(run=name, reason=reason, started=now, outcome=RetrainingOutcome.RUNNING)
    status = status.model_copy(update={"last_retraining": last})
    return _condition(status, True, "Training", f"TrainingRun {name} is running", now, generation)


def _follow(
    out: Builder[ModelDeploymentStatus],
    owner: Owner,
    policy: RetrainingPolicy,
    status: ModelDeploymentStatus,
    runs: list[Obj],
    versions: list[Obj],
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    """Move the last retraining along: trained -> validated -> promoted or awaiting a person."""
    last = status.last_retraining
    if last is None or last.outcome not in FOLLOWED:
        return status
    run = next((r for r in runs if r["metadata"]["name"] == last.run), None)
    run_status = (run or {}).get("status") or {}
    phase = run_status.get("phase")
    if run is None or phase == TrainingPhase.FAILED:
        why = run_status.get("message") or "the TrainingRun is gone"
        return _ended(
            out,
            owner,
            status,
            RetrainingOutcome.FAILED,
            f"{last.run} failed: {why}",
            now,
            generation,
        )
    version_name = run_status.get("modelVersion")
    if phase != TrainingPhase.SUCCEEDED or not version_name:
        return status
    version = next((v for v in versions if v["metadata"]["name"] == version_name), None)
    version_status = (version or {}).get("status") or {}
    last = last.model_copy(update={"model_version": version_name})
    status = status.model_copy(update={"last_retraining": last})
    if version is None or version_status.get("phase") == VersionPhase.REJECTED:
        why = version_status.get("message") or "the ModelVersion is gone"
        message = f"{version_name} rejected: {why}"
        return _ended(out, owner, status, RetrainingOutcome.REJECTED, message, now, generation)
    if version_status.get("phase") != VersionPhase.VALIDATED:
        status = _outcome(status, RetrainingOutcome.VALIDATING)
        message = f"{version_name} is being scanned"
        return _condition(status, True, "Validating", message, now, generation)
    if ((version_status.get("scan") or {}).get("beatsChampion")) is False:
        message = f"{version_name} does not beat the champion"
        return _ended(out, owner, status, RetrainingOutcome.REJECTED, message, now, generation)
    if not policy.auto_promote:
        if version_status.get("stage") == Stage.PRODUCTION:
            message = f"{version_name} was promoted to Production by a person"
            return _ended(out, owner, status, RetrainingOutcome.PROMOTED, message, now, generation)
        if last.outcome != RetrainingOutcome.AWAITING_APPROVAL:
            out.event(
                owner.ref(),
                "AwaitingApproval",
                f"{version_name} is Validated and beats the champion; promote it with: "
                f"kubectl patch mv {version_name} --type merge -p '{PROMOTE_PATCH}'",
            )
            status = _outcome(status, RetrainingOutcome.AWAITING_APPROVAL)
        message = f"{version_name} waits for promotion"
        return _condition(status, False, "AwaitingApproval", message, now, generation)
    meta = version["metadata"]
    ref = Ref(
        API_VERSION, "ModelVersion", meta["namespace"], meta["name"], str(meta.get("uid", ""))
    )
    out.write(Write.patch(ref, {"spec": {"stage": Stage.PRODUCTION}}))
    message = f"{version_name} promoted to Production"
    return _ended(out, owner, status, RetrainingOutcome.PROMOTED, message, now, generation)


def _outcome(status: ModelDeploymentStatus, outcome: RetrainingOutcome) -> ModelDeploymentStatus:
    assert status.last_retraining is not None
    last = status.last_retraining.model_copy(update={"outcome": outcome})
    return status.model_copy(update={"last_retraining": last})


def _ended(
    out: Builder[ModelDeploymentStatus],
    owner: Owner,
    status: ModelDeploymentStatus,
    outcome: RetrainingOutcome,
    message: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    failed = outcome in (RetrainingOutcome.REJECTED, RetrainingOutcome.FAILED)
    failures = status.retraining_failures + 1 if failed else 0
    status = _outcome(status, outcome).model_copy(update={"retraining_failures": failures})
    out.event(owner.ref(), f"Retraining{outcome}", message, warning=failed)
    return _condition(status, False, str(outcome), message, now, generation)


def _condition(
    status: ModelDeploymentStatus,
    active: bool,
    reason: str,
    message: str,
    now: datetime,
    generation: int,
) -> ModelDeploymentStatus:
    conditions = set_condition(
        status.conditions, "Retraining", active, reason, message, now=now, generation=generation
    )
    return status.model_copy(update={"conditions": conditions})

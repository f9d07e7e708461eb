"""The retraining policy: is the model drifted, and should a TrainingRun start now?

A reading with no data (no rows yet, an empty or NaN query result) never
triggers and says NoData. Drift must stay above the threshold for the policy's
``for`` duration; at most one run is in flight; runs are spaced by a cooldown;
after ``maxFailures`` failed runs in a row the policy stops and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelops.api.modeldeployment import DriftStatus, RetrainingPolicy, RetrainingStatus
from modelops.decide.durations import seconds


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

    state: str
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
        return status, Verdict("NoData", f"no drift score from {reading.source}")
    if reading.rows is not None and reading.rows < policy.min_rows:
        return status, Verdict(
            "NoData", f"{reading.rows} rows observed, {policy.min_rows} needed to judge"
        )
    if status.score <= policy.threshold:
        return status, Verdict(
            "Normal", f"drift {status.score:.3f} is within the threshold {policy.threshold}"
        )
    since = previous.above_since if previous and previous.above_since else now
    status = status.model_copy(update={"above_since": since})
    held = (now - since).total_seconds()
    needed = seconds(policy.for_)
    features = ", ".join(reading.drifted[:5]) or "overall"
    if held < needed:
        return status, Verdict(
            "Pending",
            f"drift {status.score:.3f} above {policy.threshold} for {held:.0f}s of {needed:.0f}s",
        )
    return status, Verdict(
        "Drifted",
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
    if verdict.state != "Drifted":
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

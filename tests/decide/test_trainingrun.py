"""A TrainingRun's status follows its Job, and the trainer's summary explains failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from modelops.api.common import find_condition
from modelops.api.trainingrun import TrainingPhase, TrainingRunStatus
from modelops.decide import jobstatus as jobs
from modelops.decide import trainingrun

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _job(conditions: list[dict[str, Any]] | None = None, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "r-train"},
        "spec": {"suspend": status.pop("suspend", False)},
        "status": {**status, "conditions": conditions or []},
    }


def _pod(message: str, finished: str = "2026-05-01T11:59:00Z") -> dict[str, Any]:
    terminated = {"exitCode": 0, "message": message, "finishedAt": finished}
    return {"status": {"containerStatuses": [{"state": {"terminated": terminated}}]}}


def _next(job: dict[str, Any] | None, summary: dict[str, Any] | None = None, status=None):  # type: ignore[no-untyped-def]
    state = jobs.job_state(job) if job is not None else None
    return trainingrun.training_status(
        status or TrainingRunStatus(), "r-train", state, summary, "s3://a/m/r", NOW, 2
    )


def test_no_job_yet_is_pending() -> None:
    status = _next(None)
    assert status.phase == TrainingPhase.PENDING
    assert status.job_name == "r-train"
    assert status.observed_generation == 2


def test_an_active_job_is_running() -> None:
    status = _next(_job(active=1, startTime="2026-05-01T11:58:00Z"))
    assert status.phase == TrainingPhase.RUNNING
    assert status.attempts == 1
    running = find_condition(status.conditions, "Running")
    assert running is not None
    assert running.status == "True"


def test_a_suspended_job_is_suspended() -> None:
    assert _next(_job(suspend=True)).phase == TrainingPhase.SUSPENDED


def test_a_complete_job_succeeds_with_the_trainers_metrics() -> None:
    summary = {"ok": True, "metrics": {"accuracy": 0.96}, "keyMetric": "accuracy=0.9600"}
    complete = [{"type": "Complete", "status": "True"}]
    status = _next(_job(complete, succeeded=1, completionTime="2026-05-01T11:59:30Z"), summary)
    assert status.phase == TrainingPhase.SUCCEEDED
    assert status.metrics == {"accuracy": 0.96}
    assert status.key_metric == "accuracy=0.9600"
    assert find_condition(status.conditions, "Ready").status == "True"  # type: ignore[union-attr]


def test_a_failed_job_takes_the_trainers_reason_and_message() -> None:
    failed = [{"type": "Failed", "status": "True", "reason": "PodFailurePolicy"}]
    summary = {"ok": False, "reason": "InvalidSpec", "message": 'target column "y" not found'}
    status = _next(_job(failed, failed=1), summary)
    assert status.phase == TrainingPhase.FAILED
    condition = find_condition(status.conditions, "Failed")
    assert condition is not None
    assert (condition.reason, condition.message) == ("InvalidSpec", 'target column "y" not found')


def test_a_deadline_is_reported_as_such() -> None:
    failed = [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "x"}]
    status = _next(_job(failed, failed=1))
    assert find_condition(status.conditions, "Failed").reason == "DeadlineExceeded"  # type: ignore[union-attr]


def test_a_finished_run_never_changes_even_if_its_job_is_gone() -> None:
    summary = {"ok": True, "metrics": {"r2": 0.8}}
    done = _next(_job([{"type": "Complete", "status": "True"}]), summary)
    assert _next(None, status=done) == done


def test_the_newest_termination_message_wins_and_plain_text_becomes_a_message() -> None:
    older = _pod(json.dumps({"ok": False, "reason": "A"}), "2026-05-01T11:00:00Z")
    newer = _pod(json.dumps({"ok": True}), "2026-05-01T11:30:00Z")
    assert jobs.termination_summary([older, newer]) == {"ok": True}
    crash = jobs.termination_summary([_pod("Traceback\nValueError: boom")])
    assert crash is not None
    assert not crash["ok"]
    assert "ValueError: boom" in crash["message"]
    assert jobs.termination_summary([]) is None

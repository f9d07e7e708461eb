"""The retraining policy: threshold held for a duration, NoData, in-flight, cooldown, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelops.api.modeldeployment import DriftStatus, RetrainingPolicy, RetrainingStatus
from modelops.decide.durations import seconds
from modelops.decide.retraining import Reading, Verdict, judge, should_retrain

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
POLICY = RetrainingPolicy.model_validate(
    {
        "threshold": 1.0,
        "for": "60s",
        "minRows": 500,
        "cooldown": "10m",
        "template": {
            "model": "m",
            "dataset": {"uri": "builtin://iris"},
            "estimator": {"name": "LogisticRegression"},
        },
    }
)


def _reading(score: float | None, rows: int | None = 1000) -> Reading:
    return Reading(score=score, rows=rows, drifted=("f1",), source="prometheus")


@pytest.mark.parametrize(
    ("text", "expected"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25)]
)
def test_durations_parse_like_kubernetes(text: str, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m5", "5 m", "1d"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        seconds(text)


@pytest.mark.parametrize(("score", "rows"), [(None, 1000), (float("nan"), 1000), (5.0, 100)])
def test_no_data_never_triggers(score: float | None, rows: int) -> None:
    _status, verdict = judge(POLICY, None, _reading(score, rows), T0)
    assert verdict.state == "NoData"
    assert not should_retrain(POLICY, verdict, None, False, 0, T0).start


def test_drift_must_hold_for_the_duration_before_it_counts() -> None:
    first, verdict = judge(POLICY, None, _reading(2.0), T0)
    assert verdict.state == "Pending"
    assert first.above_since == T0
    later, verdict = judge(POLICY, first, _reading(2.0), T0 + timedelta(seconds=61))
    assert verdict.state == "Drifted"
    assert later.above_since == T0
    decision = should_retrain(POLICY, verdict, None, False, 0, T0 + timedelta(seconds=61))
    assert decision.start
    assert "f1" in decision.message


def test_falling_below_the_threshold_resets_the_clock() -> None:
    first, _ = judge(POLICY, None, _reading(2.0), T0)
    normal, verdict = judge(POLICY, first, _reading(0.5), T0 + timedelta(seconds=30))
    assert verdict.state == "Normal"
    assert normal.above_since is None
    _again, verdict = judge(POLICY, normal, _reading(2.0), T0 + timedelta(seconds=70))
    assert verdict.state == "Pending"


def _drifted() -> Verdict:
    first, _ = judge(POLICY, None, _reading(3.0), T0)
    return judge(POLICY, first, _reading(3.0), T0 + timedelta(minutes=2))[1]


def test_one_run_at_a_time_and_a_cooldown_between_runs() -> None:
    verdict = _drifted()
    now = T0 + timedelta(minutes=2)
    last = RetrainingStatus(run="r1", reason="drift", started=now - timedelta(minutes=1))
    assert should_retrain(POLICY, verdict, last, True, 0, now).reason == "InFlight"
    assert should_retrain(POLICY, verdict, last, False, 0, now).reason == "Cooldown"
    later = now + timedelta(minutes=10)
    assert should_retrain(POLICY, verdict, last, False, 0, later).start


def test_repeated_failures_stop_the_policy() -> None:
    decision = should_retrain(POLICY, _drifted(), None, False, 3, T0)
    assert (decision.start, decision.reason) == (False, "TooManyFailures")


def test_a_disabled_policy_only_observes() -> None:
    disabled = POLICY.model_copy(update={"enabled": False})
    decision = should_retrain(disabled, _drifted(), None, False, 0, T0)
    assert (decision.start, decision.reason) == (False, "Disabled")


def test_the_drift_status_records_the_reading() -> None:
    status, _ = judge(POLICY, DriftStatus(), _reading(0.2), T0)
    assert (status.score, status.rows, status.source, status.last_checked) == (
        0.2,
        1000,
        "prometheus",
        T0,
    )
    assert status.drifted_features == ["f1"]

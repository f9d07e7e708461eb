"""The local Job controller decides as the Kubernetes one: attempts, retries, deadlines."""

from __future__ import annotations

import datetime as dt

from modelops.local.kubelet import jobs, objects

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def job(**spec: object) -> dict[str, object]:
    return {
        "metadata": {"name": "train", "namespace": "ml", "uid": "job-uid"},
        "spec": {"template": {"spec": {"restartPolicy": "Never"}}, **spec},
    }


def pod(name: str, phase: str, finished: dt.datetime | None = None) -> dict[str, object]:
    state = {"terminated": {"finishedAt": objects.format_time(finished)}} if finished else {}
    return {
        "metadata": {"name": name, "namespace": "ml", "uid": name},
        "status": {"phase": phase, "containerStatuses": [{"state": state}]},
    }


def with_status(obj: dict[str, object], status: dict[str, object]) -> dict[str, object]:
    return {**obj, "status": status}


def condition_reasons(status: dict[str, object]) -> dict[str, str]:
    conditions = status.get("conditions") or []
    assert isinstance(conditions, list)
    return {c["type"]: c["reason"] for c in conditions if c["status"] == "True"}


def test_a_new_job_starts_one_pod_and_its_clock() -> None:
    plan = jobs.plan_job(job(), [], T0)
    assert plan.create_pod
    assert plan.status["active"] == 1
    assert plan.status["startTime"] == "2025-01-01T12:00:00Z"


def test_the_pod_is_owned_by_the_job_and_labelled_with_its_name() -> None:
    made = jobs.job_pod(job(template={"metadata": {"labels": {"app": "x"}}, "spec": {}}))
    assert made["metadata"]["ownerReferences"][0]["uid"] == "job-uid"
    assert made["metadata"]["labels"]["job-name"] == "train"
    assert made["metadata"]["labels"]["app"] == "x"
    assert made["metadata"]["generateName"] == "train-"


def test_a_running_attempt_is_not_duplicated() -> None:
    plan = jobs.plan_job(job(), [pod("train-a", "Running")], T0)
    assert not plan.create_pod
    assert plan.status["active"] == 1


def test_a_succeeded_pod_completes_the_job() -> None:
    plan = jobs.plan_job(job(), [pod("train-a", "Succeeded")], T0)
    assert plan.status["succeeded"] == 1
    assert plan.status["completionTime"] == "2025-01-01T12:00:00Z"
    assert condition_reasons(plan.status) == {
        "SuccessCriteriaMet": "CompletionsReached",
        "Complete": "CompletionsReached",
    }


def test_a_failed_attempt_is_retried_after_a_back_off() -> None:
    failed = pod("train-a", "Failed", finished=T0)
    waiting = jobs.plan_job(job(backoffLimit=2), [failed], T0 + dt.timedelta(seconds=0.5))
    assert not waiting.create_pod
    assert waiting.recheck_after is not None
    assert 0 < waiting.recheck_after <= 1
    later = jobs.plan_job(job(backoffLimit=2), [failed], T0 + dt.timedelta(seconds=2))
    assert later.create_pod
    assert later.status["failed"] == 1


def test_failures_beyond_the_backoff_limit_fail_the_job() -> None:
    pods = [pod(f"train-{i}", "Failed", finished=T0) for i in range(3)]
    plan = jobs.plan_job(job(backoffLimit=2), pods, T0 + dt.timedelta(minutes=1))
    assert not plan.create_pod
    assert plan.status["failed"] == 3
    assert condition_reasons(plan.status) == {
        "FailureTarget": "BackoffLimitExceeded",
        "Failed": "BackoffLimitExceeded",
    }


def test_the_active_deadline_kills_the_running_pod_and_fails_the_job() -> None:
    started = with_status(job(activeDeadlineSeconds=5), {"startTime": objects.format_time(T0)})
    before = jobs.plan_job(started, [pod("train-a", "Running")], T0 + dt.timedelta(seconds=3))
    assert before.delete_pods == ()
    assert before.recheck_after == 2
    after = jobs.plan_job(started, [pod("train-a", "Running")], T0 + dt.timedelta(seconds=5))
    assert after.delete_pods == ("train-a",)
    assert condition_reasons(after.status)["Failed"] == "DeadlineExceeded"
    assert after.status["active"] == 0


def test_a_suspended_job_runs_nothing_and_says_so() -> None:
    plan = jobs.plan_job(job(suspend=True), [], T0)
    assert not plan.create_pod
    assert condition_reasons(plan.status) == {"Suspended": "JobSuspended"}


def test_suspending_stops_the_running_pod_and_resuming_restarts_the_clock() -> None:
    running = with_status(job(suspend=True), {"startTime": "2025-01-01T11:00:00Z"})
    suspended = jobs.plan_job(running, [pod("train-a", "Running")], T0)
    assert suspended.delete_pods == ("train-a",)
    resumed = jobs.plan_job(with_status(job(), suspended.status), [], T0 + dt.timedelta(hours=1))
    assert resumed.create_pod
    assert resumed.status["startTime"] == "2025-01-01T13:00:00Z"
    suspended_condition = [c for c in resumed.status["conditions"] if c["type"] == "Suspended"]
    assert suspended_condition[0]["status"] == "False"


def test_a_finished_job_is_deleted_once_its_ttl_has_passed() -> None:
    done = jobs.plan_job(job(ttlSecondsAfterFinished=10), [pod("train-a", "Succeeded")], T0)
    finished = with_status(job(ttlSecondsAfterFinished=10), done.status)
    assert not jobs.plan_job(finished, [], T0 + dt.timedelta(seconds=9)).delete_job
    assert jobs.plan_job(finished, [], T0 + dt.timedelta(seconds=10)).delete_job


def test_a_finished_job_without_ttl_stays_and_starts_nothing() -> None:
    done = jobs.plan_job(job(), [pod("train-a", "Succeeded")], T0)
    again = jobs.plan_job(with_status(job(), done.status), [], T0 + dt.timedelta(days=1))
    assert not again.create_pod
    assert not again.delete_job
    assert again.status == done.status


def exited(name: str, code: int) -> dict[str, object]:
    terminated = {"exitCode": code, "finishedAt": objects.format_time(T0)}
    return {
        "metadata": {"name": name, "namespace": "ml", "uid": name},
        "status": {
            "phase": "Failed",
            "containerStatuses": [{"name": "trainer", "state": {"terminated": terminated}}],
        },
    }


POLICY = {
    "rules": [
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "trainer", "operator": "In", "values": [2]},
        },
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [137]}},
    ]
}


def test_an_exit_code_matching_a_fail_job_rule_fails_the_job_without_retries() -> None:
    plan = jobs.plan_job(job(backoffLimit=5, podFailurePolicy=POLICY), [exited("train-0", 2)], T0)
    assert not plan.create_pod
    assert condition_reasons(plan.status)["Failed"] == "PodFailurePolicy"


def test_other_exit_codes_are_retried_and_ignored_ones_do_not_count() -> None:
    later = T0 + dt.timedelta(minutes=1)
    plan = jobs.plan_job(
        job(backoffLimit=1, podFailurePolicy=POLICY), [exited("train-0", 1)], later
    )
    assert plan.create_pod
    ignored = [exited(f"train-{i}", 137) for i in range(3)]
    plan = jobs.plan_job(job(backoffLimit=1, podFailurePolicy=POLICY), ignored, later)
    assert plan.status["failed"] == 0
    assert plan.create_pod

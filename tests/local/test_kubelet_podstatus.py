"""Pods report phase, readiness and exits the way ``kubectl get pods`` expects."""

from __future__ import annotations

import datetime as dt

from modelops.local.kubelet.podstatus import ContainerView, Terminated, pod_status

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
POD = {
    "metadata": {"name": "p", "namespace": "ml", "uid": "u"},
    "spec": {"containers": [{"name": "main", "image": "img"}]},
}


def ready_condition(status: dict[str, object]) -> dict[str, str]:
    conditions = status["conditions"]
    assert isinstance(conditions, list)
    found: dict[str, str] = next(c for c in conditions if c["type"] == "Ready")
    return found


def test_a_running_container_becomes_ready_without_moving_its_start() -> None:
    starting = pod_status(POD, ContainerView(started_at=T0, pid=42), T0)
    assert starting["phase"] == "Running"
    assert ready_condition(starting)["status"] == "False"
    later = T0 + dt.timedelta(seconds=5)
    ready = pod_status({**POD, "status": starting}, ContainerView(started_at=T0, ready=True), later)
    assert ready_condition(ready) == {
        "type": "Ready",
        "status": "True",
        "lastTransitionTime": "2025-01-01T12:00:05Z",
    }
    assert ready["startTime"] == "2025-01-01T12:00:00Z"
    assert starting["containerStatuses"][0]["containerID"] == "local://42"


def test_an_exit_ends_the_pod_with_code_reason_and_message() -> None:
    end = Terminated(2, "Error", "bad data" * 1000, T0, T0 + dt.timedelta(seconds=1), pid=7)
    status = pod_status(POD, ContainerView(terminated=end), T0)
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert status["phase"] == "Failed"
    assert (terminated["exitCode"], terminated["reason"]) == (2, "Error")
    assert len(terminated["message"]) == 4096
    assert ready_condition(status)["reason"] == "PodCompleted"


def test_a_crash_looping_container_keeps_the_pod_running_with_its_last_exit() -> None:
    crash = Terminated(1, "Error", "", T0, T0)
    view = ContainerView(restart_count=3, waiting_reason="CrashLoopBackOff", last_terminated=crash)
    status = pod_status(POD, view, T0)
    container = status["containerStatuses"][0]
    assert status["phase"] == "Running"
    assert container["state"] == {"waiting": {"reason": "CrashLoopBackOff"}}
    assert container["lastState"]["terminated"]["exitCode"] == 1
    assert container["restartCount"] == 3

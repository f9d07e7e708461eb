"""Pod status as a kubelet reports it, built purely from what the container is doing.

One function turns a ``ContainerView`` (waiting, running or terminated, ready, restarts,
last termination) into the pod's phase, conditions, containerStatuses and IPs, keeping
each condition's lastTransitionTime unless its status changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj

#: Kubernetes caps a termination message at 4 KiB.
MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Terminated:
    exit_code: int
    reason: str
    message: str
    started_at: dt.datetime | None
    finished_at: dt.datetime
    pid: int | None = None

    def as_state(self) -> Obj:
        state: Obj = {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "finishedAt": objects.format_time(self.finished_at),
            "containerID": container_id(self.pid),
        }
        if self.started_at is not None:
            state["startedAt"] = objects.format_time(self.started_at)
        if self.message:
            state["message"] = self.message.encode()[:MAX_MESSAGE].decode(errors="ignore")
        return state


def container_id(pid: int | None) -> str:
    return f"local://{pid}" if pid else ""


def exit_reason(exit_code: int) -> str:
    return "Completed" if exit_code == 0 else "Error"


@dataclass(frozen=True)
class ContainerView:
    """What the kubelet knows about the pod's container right now.

    Exactly one of: ``waiting_reason`` set (not running), ``started_at`` set and
    ``terminated`` None (running), ``terminated`` set (exited for good).
    """

    restart_count: int = 0
    waiting_reason: str | None = None
    waiting_message: str = ""
    started_at: dt.datetime | None = None
    ready: bool = False
    terminated: Terminated | None = None
    last_terminated: Terminated | None = None
    pid: int | None = None


def pod_status(pod: Obj, view: ContainerView, now: dt.datetime) -> Obj:
    """The complete status to write for ``pod`` (only ``status`` changes are sent)."""
    previous: Obj = pod.get("status") or {}
    container = objects.main_container(pod)
    pid = view.terminated.pid if view.terminated is not None else view.pid
    state: Obj
    if view.terminated is not None:
        state = {"terminated": view.terminated.as_state()}
        phase = "Succeeded" if view.terminated.exit_code == 0 else "Failed"
    elif view.waiting_reason is not None:
        waiting: Obj = {"reason": view.waiting_reason}
        if view.waiting_message:
            waiting["message"] = view.waiting_message
        state = {"waiting": waiting}
        phase = "Running" if view.last_terminated is not None else "Pending"
    else:
        state = {"running": {"startedAt": objects.format_time(view.started_at or now)}}
        phase = "Running"
    ready = view.ready and "running" in state
    container_status: Obj = {
        "name": container.get("name", ""),
        "image": container.get("image", ""),
        "imageID": "",
        "containerID": container_id(pid),
        "ready": ready,
        "started": "running" in state,
        "restartCount": view.restart_count,
        "state": state,
        "lastState": (
            {"terminated": view.last_terminated.as_state()} if view.last_terminated else {}
        ),
    }
    return {
        **previous,
        "phase": phase,
        "conditions": _conditions(previous, container, ready, phase, now),
        "containerStatuses": [container_status],
        "hostIP": objects.LOOPBACK,
        "hostIPs": [{"ip": objects.LOOPBACK}],
        "podIP": objects.LOOPBACK,
        "podIPs": [{"ip": objects.LOOPBACK}],
        "startTime": previous.get("startTime") or objects.format_time(now),
        "qosClass": previous.get("qosClass", "BestEffort"),
    }


def _conditions(
    previous: Obj, container: Obj, ready: bool, phase: str, now: dt.datetime
) -> list[Obj]:
    conditions: list[Obj] = list(previous.get("conditions") or [])
    for type_ in ("PodScheduled", "Initialized", "PodReadyToStartContainers"):
        conditions = objects.with_condition(conditions, type_, "True", "", "", now)
    if ready:
        reason, message = "", ""
    elif phase in objects.TERMINAL_PHASES:
        reason, message = "PodCompleted", ""
    else:
        reason = "ContainersNotReady"
        message = f"containers with unready status: [{container.get('name', '')}]"
    for type_ in ("ContainersReady", "Ready"):
        conditions = objects.with_condition(
            conditions, type_, "True" if ready else "False", reason, message, now
        )
    return [{k: v for k, v in c.items() if v != ""} for c in conditions]

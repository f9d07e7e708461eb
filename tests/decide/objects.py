"""Plain objects as the API would serve them, for planner tests: no server, no clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from modelops import API_VERSION
from modelops.settings import Settings

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NS = "ml"
SETTINGS = Settings(artifact_root="file:///artifacts")
DIGEST = "sha256:" + "a" * 64
TEMPLATE = {
    "model": "alpha",
    "dataset": {"uri": "builtin://iris", "target": "target"},
    "estimator": {"name": "LogisticRegression"},
}


def meta(name: str, uid: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "uid": uid, "generation": 1, **extra}


def owner_ref(kind: str, name: str, uid: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "name": name, "uid": uid, "controller": True}


def training_run(name: str = "r", status: dict[str, Any] | None = None, **spec: Any) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": API_VERSION,
        "kind": "TrainingRun",
        "metadata": meta(name, f"uid-{name}"),
        "spec": {**TEMPLATE, **spec},
        "status": status or {},
    }


def job(
    name: str,
    owner: dict[str, Any] | None,
    outcome: str | None = None,
    template: dict[str, Any] | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    """A Job as its controller reports it: outcome None (running), Complete or Failed."""
    refs = (
        [owner_ref(owner["kind"], owner["metadata"]["name"], owner["metadata"]["uid"])]
        if owner
        else []
    )
    status: dict[str, Any] = {"active": 1, "startTime": "2026-05-01T11:58:00Z"}
    if outcome is not None:
        status = {
            "startTime": "2026-05-01T11:58:00Z",
            "conditions": [{"type": outcome, "status": "True", "reason": outcome}],
            ("succeeded" if outcome == "Complete" else "failed"): 1,
        }
    body = template or {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {**meta(name, uid or f"uid-{name}"), "ownerReferences": refs},
        "spec": {**body["spec"], "suspend": False},
        "status": status,
    }


def pod(of_job: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """A finished pod of ``of_job`` whose container left ``summary`` as its message."""
    container = of_job["spec"]["template"]["spec"]["containers"][0]
    terminated = {"exitCode": 0, "message": json.dumps(summary), "finishedAt": "2026-05-01T11:59Z"}
    return {
        "metadata": {
            **meta(f"{of_job['metadata']['name']}-x", "uid-pod"),
            "ownerReferences": [
                {
                    "kind": "Job",
                    "name": of_job["metadata"]["name"],
                    "uid": of_job["metadata"]["uid"],
                }
            ],
        },
        "spec": {"containers": [container]},
        "status": {"containerStatuses": [{"state": {"terminated": terminated}}]},
    }


def model_version(
    name: str,
    number: int,
    model: str = "alpha",
    phase: str | None = None,
    stage: str = "None",
    desired: str | None = None,
    **status: Any,
) -> dict[str, Any]:
    body_status = {"stage": stage, **status}
    if phase is not None:
        body_status["phase"] = phase
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelVersion",
        "metadata": meta(name, f"uid-{name}"),
        "spec": {
            "model": model,
            "version": number,
            "task": "classification",
            "artifactUri": f"file:///artifacts/{NS}/{model}/{name}",
            "digest": DIGEST,
            "target": "target",
            "stage": desired or stage,
        },
        "status": body_status,
    }

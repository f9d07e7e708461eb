"""The operator's reliability scenarios, sized by the caller; each returns its figures.

- `converge`: TrainingRuns and ModelDeployments under injected API faults while the
  operator is SIGKILLed at random moments: does everything reach its final state, once?
- `scale`: many TrainingRuns applied at once: how fast are their Jobs created, at what
  memory cost to the operator?
- `invalid_specs`: generated invalid TrainingRuns: refused at apply or failed with a
  reason, while the operator keeps reconciling valid ones.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.reliability_lib.client import Api, Obj, Recorder
from benchmarks.reliability_lib.harness import LocalCluster

NAMESPACE = "default"
RUN_LABEL = "modelops.dev/training-run"
DEPLOYMENT_LABEL = "modelops.dev/deployment"


def training_run(name: str, model: str, seed: int = 0) -> Obj:
    """A cheap TrainingRun: LogisticRegression on iris (about a second of CPU)."""
    return {
        "apiVersion": "modelops.dev/v1alpha1",
        "kind": "TrainingRun",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "model": model,
            "dataset": {"uri": "builtin://iris", "seed": seed},
            "estimator": {"name": "LogisticRegression", "params": {"max_iter": 200}},
            # iris is so easy that the leakage detector flags it (one feature separates the
            # classes); these runs test the operator, not the data.
            "validation": {"leakage": {"enabled": False}},
        },
    }


def model_deployment(name: str, model: str, version: int) -> Obj:
    return {
        "apiVersion": "modelops.dev/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"model": model, "version": version, "replicas": 1},
    }


def _phase(obj: Obj | None) -> str | None:
    return ((obj or {}).get("status") or {}).get("phase")


def _ready(deployment: Obj, version: int) -> bool:
    status = deployment.get("status") or {}
    conditions = status.get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return ready and status.get("currentVersion") == version and status.get("readyReplicas") == 1


def duplicates(api: Api) -> dict[str, list[str]]:
    """Owners with more than one child of a kind, counted by the owner's label."""
    found: dict[str, list[str]] = {}
    for kind, label in (
        ("Job", RUN_LABEL),
        ("ModelVersion", RUN_LABEL),
        ("Deployment", DEPLOYMENT_LABEL),
        ("Service", DEPLOYMENT_LABEL),
    ):
        owners = Counter(
            (item["metadata"].get("labels") or {}).get(label) for item in api.list(kind, NAMESPACE)
        )
        for owner, count in owners.items():
            if owner is not None and count > 1:
                found.setdefault(kind, []).append(f"{owner} x{count}")
    return found


@dataclass
class ConvergeResult:
    runs: int
    deployments: int
    runs_converged: int = 0
    runs_succeeded: int = 0
    deployments_ready: int = 0
    seconds: float = 0.0
    kills: int = 0
    unexpected_exits: int = 0
    fault_share: float = 0.0
    faulted_requests: int = 0
    requests: int = 0
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    statuses_recorded: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.runs_succeeded == self.runs
            and self.deployments_ready == self.deployments
            and not self.duplicates
            and not self.regressions
            and self.unexpected_exits == 0
        )


def converge(
    state: Path,
    runs: int,
    deployments: int,
    fault_rate: float,
    kills: int,
    seed: int = 1,
    apply_interval: float = 0.5,
    timeout: float = 900.0,
) -> ConvergeResult:
    """Apply ``runs`` TrainingRuns and ``deployments`` ModelDeployments on a cluster whose API
    faults ``fault_rate`` of requests, SIGKILL the operator ``kills`` times at random moments,
    and report whether everything converged once, with no status going backwards.

    Runs train models ``m0``..``m{deployments-1}`` in turn, so each model gets versions; each
    deployment pins version 1 of its model, whose serving pods start once that version is
    Validated. Runs are applied ``apply_interval`` apart so trainer processes do not pile up
    on a small machine.
    """
    result = ConvergeResult(runs, deployments)
    rng = random.Random(seed)
    models = max(deployments, 1)
    with LocalCluster(state, faults=fault_rate, seed=seed) as cluster, Recorder(cluster.api) as rec:
        api = cluster.api
        started = time.monotonic()
        # Kill moments are spread over the expected busy time (applying, then training).
        busy = runs * apply_interval + 30
        kill_at = sorted(rng.uniform(2, busy) for _ in range(kills))
        killer = threading.Thread(target=_kill_at, args=(cluster, started, kill_at), daemon=True)
        killer.start()
        for index in range(runs):
            api.create(training_run(f"run-{index}", f"m{index % models}", seed=index))
            if index < deployments:
                api.create(model_deployment(f"md-{index}", f"m{index}", 1))
            time.sleep(apply_interval)
        deadline = started + timeout
        pending_runs: list[str] = []
        pending_deployments: list[str] = []
        while time.monotonic() < deadline:
            cluster.operator_alive()
            listed_runs = api.list("TrainingRun", NAMESPACE)
            pending_runs = [
                r["metadata"]["name"]
                for r in listed_runs
                if _phase(r) not in ("Succeeded", "Failed")
                or (_phase(r) == "Succeeded" and not r["status"].get("modelVersion"))
            ]
            pending_deployments = [
                d["metadata"]["name"]
                for d in api.list("ModelDeployment", NAMESPACE)
                if not _ready(d, 1)
            ]
            versions = api.list("ModelVersion", NAMESPACE)
            unscanned = [v for v in versions if _phase(v) not in ("Validated", "Rejected")]
            if (
                not killer.is_alive()
                and len(listed_runs) == runs
                and not pending_runs
                and not pending_deployments
                and not unscanned
            ):
                break
            time.sleep(1.0)
        result.seconds = time.monotonic() - started
        killer.join()
        final_runs = api.list("TrainingRun", NAMESPACE)
        result.runs_converged = sum(_phase(r) in ("Succeeded", "Failed") for r in final_runs)
        result.runs_succeeded = sum(
            _phase(r) == "Succeeded" and bool(r["status"].get("modelVersion")) for r in final_runs
        )
        result.deployments_ready = sum(_ready(d, 1) for d in api.list("ModelDeployment", NAMESPACE))
        result.stuck = pending_runs + pending_deployments
        result.kills = kills
        result.unexpected_exits = cluster.unexpected_exits
        result.duplicates = duplicates(api)
        result.regressions = rec.regressions()
        result.statuses_recorded = sum(len(h) for h in rec.history.values())
        records = cluster.audit()
        result.requests = len(records)
        result.faulted_requests = sum(_injected(r) for r in records)
        result.fault_share = result.faulted_requests / max(result.requests, 1)
    return result


def _injected(record: dict[str, Any]) -> bool:
    # 500 and 429 are only ever injected here; a 409 may also be a real AlreadyExists or a
    # stale resourceVersion, so it is counted only for writes that carry no precondition.
    code = record["code"]
    return code in (500, 429) or (code == 409 and record["verb"] in ("patch", "delete"))


def _kill_at(cluster: LocalCluster, started: float, moments: list[float]) -> None:
    for moment in moments:
        time.sleep(max(0.0, started + moment - time.monotonic()))
        cluster.kill_operator()


@dataclass
class ScaleResult:
    runs: int
    jobs: int = 0
    seconds: float = 0.0
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    duplicates: dict[str, list[str]] = field(default_factory=dict)


def scale(state: Path, runs: int, timeout: float = 120.0) -> ScaleResult:
    """Apply ``runs`` TrainingRuns at once (the kubelet off: Jobs are created, never run) and
    time until every one has its Job; report the operator's memory then."""
    result = ScaleResult(runs)
    with LocalCluster(state, kubelet=False) as cluster:
        api = cluster.api
        _wait_operator_ready(cluster)
        bodies = [training_run(f"scale-{i}", "scale", seed=i) for i in range(runs)]
        started = time.monotonic()
        threads = [threading.Thread(target=_create_all, args=(api, bodies[i::8])) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = started + timeout
        while time.monotonic() < deadline:
            jobs = api.list("Job", NAMESPACE, labels="app.kubernetes.io/component=trainer")
            result.jobs = sum(j["metadata"]["name"].startswith("scale-") for j in jobs)
            if result.jobs >= runs:
                break
            time.sleep(0.1)
        result.seconds = time.monotonic() - started
        time.sleep(2)  # let the status writes after the last Job land before reading memory
        result.rss_mb, result.peak_rss_mb = cluster.operator_rss_mb()
        result.duplicates = duplicates(api)
    return result


def _create_all(api: Api, bodies: list[Obj]) -> None:
    for body in bodies:
        api.create(body)


def _wait_operator_ready(cluster: LocalCluster, timeout: float = 60.0) -> None:
    """Until the operator reconciles: a probe run gets a status."""
    api = cluster.api
    api.create(training_run("probe", "probe"))
    deadline = time.monotonic() + timeout
    while _phase(api.get("TrainingRun", "probe")) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the operator did not start reconciling")
        time.sleep(0.1)

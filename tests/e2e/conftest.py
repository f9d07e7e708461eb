"""A real local cluster for end-to-end tests: API server, kubelet and operator processes.

Started once per test session with ``modelops local up --detach`` (as a user
would) and driven with kubectl; stopped with ``modelops local down``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Cluster:
    state: Path

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def artifacts(self) -> Path:
        return self.state / "artifacts"

    def kubectl(self, *args: str, check: bool = True, input: str | None = None) -> str:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run(
            ["kubectl", *args], capture_output=True, text=True, env=env, input=input, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result.stdout + (result.stderr if not check else "")

    def get(self, kind: str, name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.kubectl("get", kind, name, "-o", "json"))
        return loaded

    def wait_for(
        self,
        kind: str,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 120,
    ) -> dict[str, Any]:
        """The object once ``predicate`` holds; fails with the last state seen."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            found = self.kubectl("get", kind, name, "-o", "json", "--ignore-not-found")
            if found.strip():
                last = json.loads(found)
                last.setdefault("status", {})  # not reconciled yet: nothing holds
                if predicate(last):
                    return last
            time.sleep(0.5)
        raise AssertionError(f"{kind}/{name} did not get there in {timeout}s: {last.get('status')}")

    def log(self, name: str) -> str:
        path = self.state / "logs" / name
        return path.read_text() if path.exists() else ""


def _modelops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelops", *args], capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    state = tmp_path_factory.mktemp("local-cluster")
    started = _modelops("local", "up", "--detach", "--state-dir", str(state))
    assert started.returncode == 0, started.stderr + (state / "local.log").read_text()
    try:
        yield Cluster(state)
    finally:
        stopped = _modelops("local", "down", "--state-dir", str(state))
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def phase_is(*phases: str) -> Callable[[dict[str, Any]], bool]:
    return lambda obj: (obj.get("status") or {}).get("phase") in phases


def condition_is(kind: str, value: str = "True") -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        conditions = (obj.get("status") or {}).get("conditions") or []
        return any(c.get("type") == kind and c.get("status") == value for c in conditions)

    return check


def train(
    cluster: Cluster, run: str, model: str, estimator: str, params: str = "{}"
) -> dict[str, Any]:
    """Apply a TrainingRun on breast_cancer and return the ModelVersion it registers, scanned."""
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: modelops.dev/v1alpha1
kind: TrainingRun
metadata: {{name: {run}}}
spec:
  model: {model}
  dataset: {{uri: "builtin://breast_cancer", holdoutFraction: 0.25, seed: 7}}
  estimator: {{name: {estimator}, params: {params}}}
  preprocessing: {{scaling: standard}}
""",
    )
    done = cluster.wait_for("tr", run, phase_is("Succeeded", "Failed"))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    return cluster.wait_for("mv", done["status"]["modelVersion"], phase_is("Validated", "Rejected"))


@pytest.fixture(scope="session")
def sample_version(cluster: Cluster) -> dict[str, Any]:
    """ModelVersion breast-cancer-v1, trained by applying the TrainingRun sample."""
    from tests.crdschema import SAMPLES_DIR

    cluster.kubectl("apply", "-f", str(SAMPLES_DIR / "modelops_v1alpha1_trainingrun.yaml"))
    cluster.wait_for("tr", "breast-cancer-rf", phase_is("Succeeded", "Failed"))
    return cluster.wait_for("mv", "breast-cancer-v1", phase_is("Validated", "Rejected"))

"""On a live local cluster: credentials travel only by Secret reference, every pod the
operator makes passes PSS restricted, and serving pods are fenced by a NetworkPolicy.

One cluster for the module: a TrainingRun reading its dataset with credentials from a
Secret, the version it registers, and a ModelDeployment serving it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from benchmarks.reliability_lib.harness import LocalCluster
from benchmarks.reliability_lib.operator_scenarios import model_deployment, training_run

from modelops.settings import Settings
from tests.pss import violations

pytestmark = pytest.mark.slow

CANARY = "canary-S3cr3t-4f9b2e7d1c"
SECRET = "modelops-dataset-credentials"
NAMESPACE = "default"


@dataclass
class Trained:
    cluster: LocalCluster
    version: str

    def kubectl(self, *args: str) -> str:
        env = {**os.environ, "KUBECONFIG": str(self.cluster.kubeconfig)}
        result = subprocess.run(
            ["kubectl", *args], capture_output=True, text=True, env=env, timeout=60, check=True
        )
        return result.stdout


def _wait(check: Any, what: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s")


def _phase(obj: dict[str, Any] | None) -> str | None:
    return ((obj or {}).get("status") or {}).get("phase")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    with LocalCluster(tmp_path_factory.mktemp("security")) as cluster:
        api = cluster.api
        api.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": SECRET, "namespace": NAMESPACE},
                "data": {"AWS_SECRET_ACCESS_KEY": base64.b64encode(CANARY.encode()).decode()},
            }
        )
        run = training_run("with-credentials", "guarded")
        run["spec"]["dataset"]["credentialsSecret"] = SECRET
        api.create(run)
        done = _wait(
            lambda: (
                (r := api.get("TrainingRun", "with-credentials"))
                and _phase(r) in ("Succeeded", "Failed")
                and r
            ),
            "the run finishing",
        )
        assert _phase(done) == "Succeeded", done["status"]
        version = done["status"]["modelVersion"]
        _wait(lambda: _phase(api.get("ModelVersion", version)) == "Validated", "validation")
        api.create(model_deployment("guarded", "guarded", 1))
        _wait(
            lambda: (
                (d := api.get("ModelDeployment", "guarded"))
                and (d.get("status") or {}).get("readyReplicas") == 1
            ),
            "serving",
        )
        yield Trained(cluster, version)


def _everything_a_user_can_read(trained: Trained) -> dict[str, str]:
    api = trained.cluster.api
    places = {
        "TrainingRun": json.dumps(api.get("TrainingRun", "with-credentials")),
        "ModelVersion": json.dumps(api.get("ModelVersion", trained.version)),
        "ModelDeployment": json.dumps(api.get("ModelDeployment", "guarded")),
        "Events": json.dumps(api.list("Event", NAMESPACE)),
        "Jobs": json.dumps(api.list("Job", NAMESPACE)),
        "Pods": json.dumps(api.list("Pod", NAMESPACE)),
        "operator log": trained.cluster.operator_log.read_text(),
    }
    for kind in ("trainingrun", "modelversion", "job", "pod"):
        places[f"kubectl describe {kind}"] = trained.kubectl("describe", kind)
    logs = trained.cluster.state / "kubelet" / "logs"
    for log in logs.glob("*.log"):
        places[f"pod log {log.name}"] = log.read_text(errors="replace")
    return places


def test_the_secret_value_appears_nowhere_but_in_the_secret(trained: Trained) -> None:
    places = _everything_a_user_can_read(trained)
    assert any(name.startswith("pod log") for name in places), "the trainer's log was read"
    encoded = base64.b64encode(CANARY.encode()).decode()
    secret = trained.cluster.api.get("Secret", SECRET, NAMESPACE)
    assert encoded in json.dumps(secret), "the search finds the value where it does live"
    leaks = [name for name, text in places.items() if CANARY in text or encoded in text]
    assert leaks == []


def test_the_trainer_gets_the_secret_only_by_reference(trained: Trained) -> None:
    jobs = trained.cluster.api.list("Job", NAMESPACE, labels="app.kubernetes.io/component=trainer")
    (job,) = jobs
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": SECRET}}]
    for variable in container.get("env") or []:
        assert CANARY not in str(variable.get("value", "")), "the Secret's value never travels"
        assert "secretKeyRef" not in (variable.get("valueFrom") or {})
    spec = trained.cluster.api.get("TrainingRun", "with-credentials")["spec"]  # type: ignore[index]
    assert spec["dataset"]["credentialsSecret"] == SECRET


def test_every_pod_the_operator_made_passes_pss_restricted(trained: Trained) -> None:
    api = trained.cluster.api
    pods = api.list("Pod", NAMESPACE)
    components = {
        (p["metadata"].get("labels") or {}).get("app.kubernetes.io/component") for p in pods
    }
    assert {"trainer", "scanner", "predictor"} <= components
    found = {f"Pod {p['metadata']['name']}": violations(p["spec"]) for p in pods}
    for kind in ("Job", "Deployment"):
        for owner in api.list(kind, NAMESPACE):
            template = owner["spec"]["template"]["spec"]
            found[f"{kind} {owner['metadata']['name']}"] = violations(template)
    assert found and all(v == [] for v in found.values()), found


def test_serving_pods_admit_traffic_only_on_the_serving_port(trained: Trained) -> None:
    api = trained.cluster.api
    port = Settings().serving_port
    policies = api.list("NetworkPolicy", NAMESPACE)
    serving = api.list("Pod", NAMESPACE, labels="app.kubernetes.io/component=predictor")
    assert serving
    for pod in serving:
        labels = pod["metadata"]["labels"]
        covering = [
            p
            for p in policies
            if p["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()
            and p["spec"]["podSelector"].get("matchLabels")
        ]
        assert covering, f"no NetworkPolicy selects {pod['metadata']['name']}"
        for policy in covering:
            assert policy["spec"]["policyTypes"] == ["Ingress"]
            assert policy["spec"]["ingress"] == [{"ports": [{"port": port, "protocol": "TCP"}]}]

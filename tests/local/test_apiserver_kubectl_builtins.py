"""kubectl reads built-in kinds from the embedded API as it reads them from a cluster."""

from __future__ import annotations

import shutil

import pytest
import yaml

from .conftest import Kubectl, ThreadedApiServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  template:
    metadata: {labels: {app: train}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: x, command: ["true"]}]
"""


def pod(name: str, labels: dict[str, str]) -> str:
    container = {"name": "main", "image": "x", "command": ["true"]}
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"nodeName": "local", "containers": [container]},
    }
    return yaml.safe_dump(body)


def finish(run_kubectl: Kubectl, name: str, exit_code: int, reason: str) -> None:
    terminated = {"exitCode": exit_code, "reason": reason}
    status = {
        "phase": "Succeeded" if exit_code == 0 else "Failed",
        "containerStatuses": [
            {"name": "main", "ready": False, "restartCount": 0, "state": {"terminated": terminated}}
        ],
    }
    run_kubectl(
        "patch", "pod", name, "--subresource=status", "--type=merge", "-p",
        yaml.safe_dump({"status": status}),
    )  # fmt: skip


def test_logs_of_a_job_come_from_its_own_pod_not_another_models(
    threaded_apiserver: ThreadedApiServer, run_kubectl: Kubectl
) -> None:
    threaded_apiserver.server.pod_logs = lambda ns, name, container: f"log of {name}\n"
    run_kubectl("apply", "-f", "-", stdin=pod("another-model-predictor", {"app": "other"}))
    run_kubectl("apply", "-f", "-", stdin=JOB)
    uid = run_kubectl("get", "job", "train", "-o", "jsonpath={.metadata.uid}")
    own = {"batch.kubernetes.io/controller-uid": uid, "job-name": "train"}
    run_kubectl("apply", "-f", "-", stdin=pod("train-abcde", own))
    assert run_kubectl("logs", "job/train").strip() == "log of train-abcde"


def test_a_finished_pod_reads_completed_or_its_error(run_kubectl: Kubectl) -> None:
    run_kubectl("apply", "-f", "-", stdin=pod("done", {}))
    run_kubectl("apply", "-f", "-", stdin=pod("broken", {}))
    finish(run_kubectl, "done", 0, "Completed")
    finish(run_kubectl, "broken", 1, "Error")
    rows = {line.split()[0]: line.split() for line in run_kubectl("get", "pods").splitlines()}
    assert rows["done"][2] == "Completed"
    assert rows["broken"][2] == "Error"

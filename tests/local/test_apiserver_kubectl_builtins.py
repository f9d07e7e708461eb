"""kubectl reads built-in kinds from the embedded API as it reads them from a cluster."""

from __future__ import annotations

import shutil
import subprocess
import time

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


def test_imperative_create_of_configmaps_secrets_and_namespaces_works(run_kubectl: Kubectl) -> None:
    assert "created" in run_kubectl("create", "namespace", "team")
    run_kubectl("create", "configmap", "settings", "-n", "team", "--from-literal=colour=blue")
    run_kubectl("create", "secret", "generic", "token", "-n", "team", "--from-literal=t=s3")
    assert run_kubectl("get", "cm", "settings", "-n", "team", "-o", "jsonpath={.data.colour}") == (
        "blue"
    )
    assert run_kubectl("get", "secret", "token", "-n", "team", "-o", "jsonpath={.type}") == "Opaque"
    assert "default" in run_kubectl("get", "serviceaccounts", "-n", "team")


COMMON_KINDS = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: x}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: a, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local}
provisioner: kubernetes.io/no-provisioner
"""


def test_common_built_in_kinds_apply_and_list(run_kubectl: Kubectl) -> None:
    out = run_kubectl("apply", "-f", "-", stdin=COMMON_KINDS)
    for created in (
        "daemonset.apps/agent created",
        "cronjob.batch/nightly created",
        "ingress.networking.k8s.io/web created",
        "persistentvolumeclaim/data created",
        "storageclass.storage.k8s.io/local created",
    ):
        assert created in out
    for short, name in (("ds", "agent"), ("cj", "nightly"), ("ing", "web"), ("pvc", "data")):
        assert name in run_kubectl("get", short)
    assert "local" in run_kubectl("get", "sc")


def test_auth_can_i_is_answered(run_kubectl: Kubectl) -> None:
    assert run_kubectl("auth", "can-i", "create", "deployments").strip() == "yes"


def test_exec_names_the_local_kubelet(run_kubectl: Kubectl) -> None:
    run_kubectl("apply", "-f", "-", stdin=pod("p", {}))
    out = run_kubectl("exec", "p", "--", "true", check=False)
    assert "local kubelet" in out


EVENT = """
apiVersion: v1
kind: Event
metadata: {name: train.1}
involvedObject: {kind: Job, name: train}
type: Normal
reason: Completed
message: Job completed
"""


def test_get_prints_the_built_in_columns(run_kubectl: Kubectl) -> None:
    run_kubectl("create", "configmap", "settings", "--from-literal=a=1", "--from-literal=b=2")
    run_kubectl("create", "secret", "generic", "token", "--from-literal=t=s3")
    run_kubectl("apply", "-f", "-", stdin=JOB)
    run_kubectl("apply", "-f", "-", stdin=EVENT)
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    run_kubectl("apply", "-f", "-", stdin=service)

    def table(*args: str) -> list[list[str]]:
        return [line.split() for line in run_kubectl("get", *args).splitlines()]

    config_maps = table("cm", "settings")
    assert config_maps[0] == ["NAME", "DATA", "AGE"]
    assert config_maps[1][:2] == ["settings", "2"]
    assert table("secret", "token")[1][:3] == ["token", "Opaque", "1"]
    services = table("svc", "web")
    assert services[0][:5] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)"]
    assert services[1][1] == "ClusterIP"
    assert services[1][2].startswith("10.")
    assert services[1][4] == "80/TCP"
    assert table("jobs")[0][:3] == ["NAME", "STATUS", "COMPLETIONS"]
    events = run_kubectl("get", "events")
    assert "REASON" in events
    assert "job/train" in events
    assert "Job completed" in events


def test_logs_follow_streams_until_the_pod_finishes(
    threaded_apiserver: ThreadedApiServer, run_kubectl: Kubectl, kubectl_env: dict[str, str]
) -> None:
    written = ["first\n"]
    threaded_apiserver.server.pod_logs = lambda ns, name, container: "".join(written)
    run_kubectl("apply", "-f", "-", stdin=pod("p", {}))
    follower = subprocess.Popen(
        ["kubectl", "logs", "-f", "p"], env=kubectl_env, stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.0)
        written.append("second\n")
        time.sleep(0.5)
        assert follower.poll() is None, "kubectl logs -f keeps following a running pod"
        finish(run_kubectl, "p", 0, "Completed")
        out, _ = follower.communicate(timeout=10)
    finally:
        follower.kill()
    assert out == "first\nsecond\n"
    assert "local kubelet" in run_kubectl("logs", "p", "--previous", check=False)

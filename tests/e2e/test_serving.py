"""Issue acceptance: deployments serve validated versions over V2, scale, roll, refuse tampering."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pyarrow.parquet as pq
import tritonclient.http as triton

from tests.crdschema import SAMPLES_DIR
from tests.e2e.conftest import Cluster, condition_is, train


def _port(cluster: Cluster, service: str) -> int:
    found = cluster.wait_for(
        "svc",
        service,
        lambda s: bool((s.get("status") or {}).get("loadBalancer", {}).get("ingress")),
    )
    port: int = found["status"]["loadBalancer"]["ingress"][0]["ports"][0]["port"]
    return port


def _holdout(version: dict[str, Any]) -> tuple[np.ndarray, Path]:
    directory = Path(version["spec"]["artifactUri"].removeprefix("file://"))
    manifest = json.loads((directory / "manifest.json").read_text())
    table = pq.read_table(directory / "holdout.parquet")
    features = [f["name"] for f in manifest["features"]]
    rows = np.column_stack([table[name].to_numpy() for name in features]).astype(np.float32)
    return rows, directory / "model.onnx"


def _infer(port: int, model: str, rows: np.ndarray) -> list[int]:
    body = {
        "inputs": [
            {
                "name": "input",
                "shape": list(rows.shape),
                "datatype": "FP32",
                "data": rows.ravel().tolist(),
            }
        ]
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v2/models/{model}/infer",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        outputs = json.loads(answer.read())["outputs"]
    labels: list[int] = next(o for o in outputs if o["name"] == "label")["data"]
    return labels


def test_the_sample_deployment_serves_what_the_model_predicts(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    cluster.kubectl("apply", "-f", str(SAMPLES_DIR / "modelops_v1alpha1_modeldeployment.yaml"))
    deployment = cluster.wait_for("md", "breast-cancer", condition_is("Ready"))
    served = deployment["status"]["currentVersion"]
    listing = cluster.kubectl("get", "md", "breast-cancer")
    assert "True" in listing
    assert f" {served} " in listing

    version = next(
        v
        for v in json.loads(cluster.kubectl("get", "mv", "-o", "json"))["items"]
        if v["spec"]["model"] == "breast-cancer" and v["spec"]["version"] == served
    )
    rows, model = _holdout(version)
    port = _port(cluster, "breast-cancer")
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    expected = session.run(["label"], {"input": rows})[0].tolist()
    assert _infer(port, "breast-cancer", rows) == expected

    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    metadata = client.get_model_metadata("breast-cancer")
    assert metadata["inputs"][0]["name"] == "input"
    tensor = triton.InferInput("input", list(rows[:5].shape), "FP32")
    tensor.set_data_from_numpy(rows[:5])
    result = client.infer("breast-cancer", [tensor])
    assert result.as_numpy("label").tolist() == expected[:5]


def test_kubectl_scale_changes_the_number_of_serving_processes(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    cluster.wait_for("md", "breast-cancer", condition_is("Ready"))
    cluster.kubectl("scale", "md/breast-cancer", "--replicas=3")
    scaled = cluster.wait_for(
        "md",
        "breast-cancer",
        lambda o: o["status"].get("readyReplicas") == 3 and o["spec"]["replicas"] == 3,
    )
    selector = scaled["status"]["selector"]
    pods = json.loads(cluster.kubectl("get", "pods", "-l", selector, "-o", "json"))["items"]
    assert sum(1 for p in pods if p["status"]["phase"] == "Running") == 3
    cluster.kubectl("scale", "md/breast-cancer", "--replicas=1")
    cluster.wait_for("md", "breast-cancer", lambda o: o["status"].get("replicas") == 1)


def test_an_autoscaler_and_budget_removed_from_the_spec_are_deleted(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    cluster.wait_for("md", "breast-cancer", condition_is("Ready"))
    extras = '{"spec": {"autoscaling": {"minReplicas": 1, "maxReplicas": 3}, "minAvailable": 1}}'
    cluster.kubectl("patch", "md", "breast-cancer", "--type", "merge", "-p", extras)
    hpa = cluster.wait_for("hpa", "breast-cancer", lambda o: True)
    assert hpa["spec"]["maxReplicas"] == 3
    cluster.wait_for("pdb", "breast-cancer", lambda o: o["spec"]["minAvailable"] == 1)

    removed = '{"spec": {"autoscaling": null, "minAvailable": null}}'
    cluster.kubectl("patch", "md", "breast-cancer", "--type", "merge", "-p", removed)
    deadline = time.monotonic() + 60
    left = ["hpa/breast-cancer", "pdb/breast-cancer"]
    while left and time.monotonic() < deadline:
        left = [o for o in left if cluster.kubectl("get", o, "--ignore-not-found").strip()]
        time.sleep(0.5)
    assert left == [], f"still there after the spec dropped them: {left}"


class Load:
    """A steady request loop counting failures, as a client of the deployment would see them."""

    def __init__(self, port: int, model: str, rows: np.ndarray) -> None:
        self.port, self.model, self.rows = port, model, rows
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                _infer(self.port, self.model, self.rows[:4])
                self.ok += 1
            except (urllib.error.URLError, OSError) as error:
                self.failures.append(str(error))
            time.sleep(0.02)


def test_a_version_change_rolls_over_without_failed_requests_and_rolls_back(
    cluster: Cluster,
) -> None:
    first = train(cluster, "rollout-rf", "rollout", "RandomForestClassifier", "{n_estimators: 20}")
    second = train(cluster, "rollout-lr", "rollout", "LogisticRegression", "{max_iter: 500}")
    assert (first["status"]["phase"], second["status"]["phase"]) == ("Validated", "Validated")
    v1, v2 = first["spec"]["version"], second["spec"]["version"]
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: modelops.dev/v1alpha1
kind: ModelDeployment
metadata: {{name: rollout}}
spec: {{model: rollout, version: {v1}, replicas: 2}}
""",
    )
    cluster.wait_for(
        "md", "rollout", lambda o: condition_is("Ready")(o) and o["status"]["currentVersion"] == v1
    )
    rows, _ = _holdout(first)
    with Load(_port(cluster, "rollout"), "rollout", rows) as load:
        time.sleep(1)
        cluster.kubectl(
            "patch", "md", "rollout", "--type", "merge", "-p", f'{{"spec": {{"version": {v2}}}}}'
        )
        rolled = cluster.wait_for(
            "md",
            "rollout",
            lambda o: o["status"].get("currentVersion") == v2 and condition_is("Ready")(o),
        )
        time.sleep(1)
    assert load.failures == []
    assert load.ok > 20
    assert rolled["status"]["previousVersion"] == v1
    served = cluster.get("mv", second["metadata"]["name"])
    assert "rollout" in served["status"]["deployedBy"]

    cluster.kubectl(
        "patch", "md", "rollout", "--type", "merge", "-p", f'{{"spec": {{"version": {v1}}}}}'
    )
    back = cluster.wait_for(
        "md",
        "rollout",
        lambda o: o["status"].get("currentVersion") == v1 and condition_is("Ready")(o),
    )
    assert back["status"]["previousVersion"] == v2


def test_a_tampered_artifact_never_becomes_ready(cluster: Cluster) -> None:
    version = train(cluster, "tamper-lr", "tamper", "LogisticRegression", "{max_iter: 500}")
    assert version["status"]["phase"] == "Validated"
    model = Path(version["spec"]["artifactUri"].removeprefix("file://")) / "model.onnx"
    model.write_bytes(model.read_bytes() + b"tampered")
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input="""
apiVersion: modelops.dev/v1alpha1
kind: ModelDeployment
metadata: {name: tamper}
spec: {model: tamper, version: 1}
""",
    )
    deployment = cluster.wait_for("md", "tamper", lambda o: o["status"].get("replicas") == 1)
    time.sleep(8)
    deployment = cluster.get("md", "tamper")
    assert not condition_is("Ready")(deployment)
    assert deployment["status"]["readyReplicas"] == 0
    pods = json.loads(
        cluster.kubectl("get", "pods", "-l", deployment["status"]["selector"], "-o", "json")
    )
    logs = cluster.kubectl("logs", pods["items"][0]["metadata"]["name"])
    assert "digest" in logs.lower()


def test_a_canary_runs_beside_the_served_version_until_weight_100_promotes_it(
    cluster: Cluster,
) -> None:
    first = train(cluster, "canary-rf", "canary", "RandomForestClassifier", "{n_estimators: 10}")
    second = train(cluster, "canary-lr", "canary", "LogisticRegression", "{max_iter: 500}")
    v1, v2 = first["spec"]["version"], second["spec"]["version"]
    spec = f"{{model: canary, version: {v1}, replicas: 2, rollout: {{canary: {{weight: 50}}}}}}"
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input=f"apiVersion: modelops.dev/v1alpha1\nkind: ModelDeployment\n"
        f"metadata: {{name: canary}}\nspec: {spec}\n",
    )
    cluster.wait_for(
        "md",
        "canary",
        lambda o: o["status"].get("currentVersion") == v1 and condition_is("Ready")(o),
    )
    cluster.kubectl(
        "patch", "md", "canary", "--type", "merge", "-p", f'{{"spec": {{"version": {v2}}}}}'
    )
    split = cluster.wait_for(
        "md",
        "canary",
        lambda o: o["status"].get("canaryVersion") == v2 and o["status"].get("readyReplicas") == 2,
    )
    assert split["status"]["currentVersion"] == v1
    pods = json.loads(
        cluster.kubectl("get", "pods", "-l", split["status"]["selector"], "-o", "json")
    )
    versions = sorted(
        p["metadata"]["labels"]["modelops.dev/version"]
        for p in pods["items"]
        if p["status"]["phase"] == "Running" and not p["metadata"].get("deletionTimestamp")
    )
    assert versions == sorted([str(v1), str(v2)]), "one pod per track behind the same Service"

    cluster.kubectl(
        "patch",
        "md",
        "canary",
        "--type",
        "merge",
        "-p",
        '{"spec": {"rollout": {"canary": {"weight": 100}}}}',
    )
    promoted = cluster.wait_for(
        "md",
        "canary",
        lambda o: (
            o["status"].get("currentVersion") == v2
            and o["status"].get("canaryVersion") is None
            and condition_is("Ready")(o)
        ),
    )
    assert promoted["status"]["previousVersion"] == v1

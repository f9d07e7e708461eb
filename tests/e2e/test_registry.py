"""Issue acceptance: the scan gate rejects bad models, and stages keep one Production version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cluster, condition_is, phase_is, train

WEAK = """
apiVersion: modelops.dev/v1alpha1
kind: TrainingRun
metadata: {name: weak-stump}
spec:
  model: weak
  dataset: {uri: "builtin://synthetic?rows=2000&features=20&informative=10&seed=3"}
  estimator: {name: DecisionTreeClassifier, params: {max_depth: 1}}
  validation: {minMetrics: {accuracy: 0.8}}
"""


def test_a_weak_model_is_rejected_naming_the_failing_floor(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", input=WEAK)
    run = cluster.wait_for("tr", "weak-stump", phase_is("Succeeded", "Failed"))
    assert run["status"]["phase"] == "Succeeded", "training itself works"
    version = cluster.wait_for("mv", "weak-v1", phase_is("Validated", "Rejected"))
    assert version["status"]["phase"] == "Rejected"
    findings = version["status"]["scan"]["findings"]
    assert any(f["detector"] == "metrics" and f["metric"] == "accuracy" for f in findings), findings
    assert "accuracy" in version["status"]["message"]


def _validated(cluster: Cluster, name: str) -> dict[str, Any]:
    return cluster.wait_for("mv", name, phase_is("Validated", "Rejected"))


def test_a_tampered_model_is_rejected_with_digest_mismatch(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    source = sample_version
    original = Path(source["spec"]["artifactUri"].removeprefix("file://"))
    # Inside the artifact store an import must sit under its own namespace and model.
    tampered = cluster.artifacts / "default" / "imported" / "tampered"
    shutil.copytree(original, tampered)
    (tampered / "model.onnx").write_bytes((tampered / "model.onnx").read_bytes() + b"\0")
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: modelops.dev/v1alpha1
kind: ModelVersion
metadata: {{name: imported-v1}}
spec:
  model: imported
  version: 1
  task: classification
  artifactUri: {tampered.as_uri()}
  digest: {source["spec"]["digest"]}
""",
    )
    version = cluster.wait_for("mv", "imported-v1", phase_is("Validated", "Rejected"))
    assert version["status"]["phase"] == "Rejected"
    validated = next(c for c in version["status"]["conditions"] if c["type"] == "Validated")
    assert validated["reason"] == "DigestMismatch"


def test_the_digest_of_a_version_cannot_be_changed(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    out = cluster.kubectl(
        "patch",
        "mv",
        "breast-cancer-v1",
        "--type",
        "merge",
        "-p",
        '{"spec": {"digest": "sha256:' + "0" * 64 + '"}}',
        check=False,
    )
    assert "immutable" in out


def test_only_a_validated_version_enters_production_and_promotion_archives_the_old_one(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    cluster.kubectl(
        "patch", "mv", "weak-v1", "--type", "merge", "-p", '{"spec": {"stage": "Production"}}'
    )
    weak = cluster.wait_for("mv", "weak-v1", condition_is("Ready", "False"))
    assert weak["status"]["stage"] != "Production"

    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input="""
apiVersion: modelops.dev/v1alpha1
kind: TrainingRun
metadata: {name: cancer-lr}
spec:
  model: breast-cancer
  dataset: {uri: "builtin://breast_cancer", holdoutFraction: 0.25, seed: 7}
  estimator: {name: LogisticRegression, params: {max_iter: 500}}
  preprocessing: {scaling: standard}
""",
    )
    run = cluster.wait_for("tr", "cancer-lr", phase_is("Succeeded", "Failed"))
    second = run["status"]["modelVersion"]
    assert second == "breast-cancer-v2"
    _validated(cluster, "breast-cancer-v1")
    cluster.kubectl(
        "patch",
        "mv",
        "breast-cancer-v1",
        "--type",
        "merge",
        "-p",
        '{"spec": {"stage": "Production"}}',
    )
    cluster.wait_for("mv", "breast-cancer-v1", lambda o: o["status"].get("stage") == "Production")
    if _validated(cluster, second)["status"]["phase"] != "Validated":
        return
    cluster.kubectl(
        "patch", "mv", second, "--type", "merge", "-p", '{"spec": {"stage": "Production"}}'
    )
    cluster.wait_for("mv", second, lambda o: o["status"].get("stage") == "Production")
    old = cluster.wait_for(
        "mv", "breast-cancer-v1", lambda o: o["status"].get("stage") == "Archived"
    )
    assert old["spec"]["stage"] == "Archived"
    stages = cluster.kubectl(
        "get",
        "mv",
        "-l",
        "modelops.dev/model=breast-cancer",
        "-o",
        "jsonpath={.items[*].status.stage}",
    )
    assert stages.split().count("Production") == 1


def test_two_promotions_racing_leave_exactly_one_production_version(cluster: Cluster) -> None:
    first = train(cluster, "race-rf", "race", "RandomForestClassifier", "{n_estimators: 10}")
    second = train(cluster, "race-lr", "race", "LogisticRegression", "{max_iter: 500}")
    names = [first["metadata"]["name"], second["metadata"]["name"]]
    assert [first["status"]["phase"], second["status"]["phase"]] == ["Validated", "Validated"]
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
    patch = '{"spec": {"stage": "Production"}}'
    racing = [
        subprocess.Popen(["kubectl", "patch", "mv", name, "--type", "merge", "-p", patch], env=env)
        for name in names
    ]
    assert [p.wait(timeout=60) for p in racing] == [0, 0]

    def settled(_: dict[str, Any]) -> bool:
        items = json.loads(cluster.kubectl("get", "mv", "-o", "json"))["items"]
        ours = [v for v in items if v["spec"]["model"] == "race"]
        stages = sorted(v["status"].get("stage") for v in ours)
        specs = sorted(v["spec"]["stage"] for v in ours)
        return stages == ["Archived", "Production"] and specs == stages

    cluster.wait_for("mv", names[0], settled, timeout=60)
    time.sleep(3)
    assert settled({}), "the outcome stays settled"

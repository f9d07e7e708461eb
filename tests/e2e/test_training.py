"""Issue acceptance: a TrainingRun applied with kubectl trains, registers and validates a model."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cluster, phase_is


def test_the_sample_run_trains_and_registers_a_validated_version(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    run = cluster.get("tr", "breast-cancer-rf")
    assert run["status"]["phase"] == "Succeeded", run["status"]
    assert run["status"]["metrics"]["roc_auc"] > 0.9
    assert run["status"]["modelVersion"] == "breast-cancer-v1"

    listing = cluster.kubectl("get", "tr")
    assert "Succeeded" in listing
    assert "accuracy=" in listing, "the key metric column shows in kubectl get tr"

    version = cluster.wait_for("mv", "breast-cancer-v1", phase_is("Validated", "Rejected"))
    model = Path(version["spec"]["artifactUri"].removeprefix("file://")) / "model.onnx"
    assert version["spec"]["digest"] == "sha256:" + hashlib.sha256(model.read_bytes()).hexdigest()
    assert version["spec"]["lineage"]["trainingRun"] == "breast-cancer-rf"
    assert version["status"]["phase"] == "Validated", version["status"]
    assert version["status"]["scan"]["passed"] is True
    assert "Validated" in cluster.kubectl("get", "mv", "breast-cancer-v1")


def test_a_run_with_an_unknown_target_fails_saying_what_to_fix(cluster: Cluster) -> None:
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input="""
apiVersion: modelops.dev/v1alpha1
kind: TrainingRun
metadata: {name: wrong-target}
spec:
  model: wrong-target
  dataset: {uri: "builtin://iris", target: label}
  estimator: {name: LogisticRegression}
""",
    )
    run = cluster.wait_for("tr", "wrong-target", phase_is("Succeeded", "Failed"))
    assert run["status"]["phase"] == "Failed"
    failed = next(c for c in run["status"]["conditions"] if c["type"] == "Failed")
    assert failed["reason"] == "InvalidSpec"
    assert '"label"' in failed["message"]
    assert run["status"]["attempts"] == 1, "a permanent error is not retried"
    assert "wrong-target" not in cluster.kubectl("get", "mv"), "nothing half-registered"


def test_an_estimator_off_the_allow_list_is_rejected_at_apply(cluster: Cluster) -> None:
    out = cluster.kubectl(
        "apply",
        "-f",
        "-",
        check=False,
        input="""
apiVersion: modelops.dev/v1alpha1
kind: TrainingRun
metadata: {name: not-allowed}
spec:
  model: not-allowed
  dataset: {uri: "builtin://iris"}
  estimator: {name: os.system}
""",
    )
    assert "spec.estimator.name" in out
    assert "not-allowed" not in cluster.kubectl("get", "tr")


def test_the_spec_of_a_run_is_immutable_but_suspend_is_not(
    cluster: Cluster, sample_version: dict[str, Any]
) -> None:
    out = cluster.kubectl(
        "patch",
        "tr",
        "breast-cancer-rf",
        "--type",
        "merge",
        "-p",
        '{"spec": {"dataset": {"uri": "builtin://wine"}}}',
        check=False,
    )
    assert "immutable" in out
    cluster.kubectl(
        "patch", "tr", "breast-cancer-rf", "--type", "merge", "-p", '{"spec": {"suspend": true}}'
    )

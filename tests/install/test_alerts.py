"""The PrometheusRule's alerts, checked and unit-tested with Prometheus' own promtool.

Each alert gets input series that must fire it (with its labels and annotations) and,
where a threshold matters, series that must not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.install.conftest import MANIFESTS, find, kustomize

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is absent: apt-get install prometheus"
)


def rule_groups() -> dict[str, Any]:
    """The PrometheusRule's spec: a Prometheus rule file's content."""
    rule = find(kustomize(MANIFESTS / "overlays" / "prod"), "PrometheusRule")
    spec: dict[str, Any] = rule["spec"]
    return spec


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def _fires(
    alert: str, at: str, labels: dict[str, str], summary: str, description: str
) -> dict[str, Any]:
    """``alert`` fires at ``at`` with these labels and rendered annotations."""
    annotations = {"summary": summary, "description": description}
    return {
        "eval_time": at,
        "alertname": alert,
        "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}],
    }


def _silent(alert: str, at: str) -> dict[str, Any]:
    return {"eval_time": at, "alertname": alert, "exp_alerts": []}


SERVING = 'namespace="ml", model="churn", version="3"'
TESTS: list[dict[str, Any]] = [
    {
        "name": "drift above 1 for 15 minutes fires; below does not",
        "interval": "1m",
        "input_series": [
            {"series": f"modelops_drift_overall{{{SERVING}, pod='a'}}", "values": "1.5x30"},
            {
                "series": 'modelops_drift_overall{namespace="ml", model="fraud", version="1"}',
                "values": "0.4x30",
            },
        ],
        "alert_rule_test": [
            _silent("ModelOpsDriftHigh", "10m"),
            _fires(
                "ModelOpsDriftHigh",
                "20m",
                {"severity": "warning", "namespace": "ml", "model": "churn", "version": "3"},
                "Input drift of churn v3 is high",
                "The overall drift score of model churn version 3 in ml has been above 1 for 15 "
                "minutes (1.50). A retraining policy, if set, retrains it; otherwise request one: "
                "kubectl annotate md NAME modelops.dev/retrain-requested=$(date +%s).",
            ),
        ],
    },
    {
        "name": "more than 5% server errors fires; 1% does not",
        "interval": "1m",
        "input_series": [
            {"series": f"modelops_requests_total{{{SERVING}, code='200'}}", "values": "0+100x30"},
            {"series": f"modelops_requests_total{{{SERVING}, code='500'}}", "values": "0+10x30"},
            {
                "series": 'modelops_requests_total{namespace="ml", model="fraud", version="1", '
                'code="200"}',
                "values": "0+100x30",
            },
            {
                "series": 'modelops_requests_total{namespace="ml", model="fraud", version="1", '
                'code="503"}',
                "values": "0+1x30",
            },
        ],
        "alert_rule_test": [
            _fires(
                "ModelOpsServingErrorRate",
                "15m",
                {"severity": "critical", "namespace": "ml", "model": "churn"},
                "churn answers more than 5% of requests with errors",
                "9.091% of infer requests to churn in ml failed with a 5xx status over the last "
                "5 minutes.",
            )
        ],
    },
    {
        "name": "a deployment with no ready pods for 5 minutes fires",
        "interval": "1m",
        "input_series": [
            {
                "series": 'modelops_deployment_ready_replicas{namespace="ml", deployment="churn", '
                'model="churn"}',
                "values": "2 2 0x10",
            },
            {
                "series": 'modelops_deployment_ready_replicas{namespace="ml", deployment="fraud", '
                'model="fraud"}',
                "values": "1x12",
            },
        ],
        "alert_rule_test": [
            _silent("ModelOpsNoReadyReplicas", "4m"),
            _fires(
                "ModelOpsNoReadyReplicas",
                "9m",
                {
                    "severity": "critical",
                    "namespace": "ml",
                    "deployment": "churn",
                    "model": "churn",
                },
                "ModelDeployment ml/churn has no ready pods",
                "No serving pod of churn (model churn) has been ready for 5 minutes: "
                "kubectl describe md churn -n ml.",
            ),
        ],
    },
    {
        "name": "a failed training run fires for 30 minutes; successes never do",
        "interval": "1m",
        "input_series": [
            {"series": 'modelops_training_runs_total{outcome="Failed"}', "values": "0 0 0 1x60"},
            {"series": 'modelops_training_runs_total{outcome="Succeeded"}', "values": "0+1x60"},
        ],
        "alert_rule_test": [
            _silent("ModelOpsTrainingFailed", "2m"),
            _fires(
                "ModelOpsTrainingFailed",
                "10m",
                {"severity": "warning", "outcome": "Failed"},
                "A TrainingRun failed",
                "1 TrainingRun(s) failed in the last 30 minutes: kubectl get tr -A and look for "
                "phase Failed.",
            ),
            _silent("ModelOpsTrainingFailed", "45m"),
        ],
    },
    {
        "name": "a rejected model version fires; validated ones do not",
        "interval": "1m",
        "input_series": [
            {"series": 'modelops_scans_total{outcome="Rejected"}', "values": "0 0 1x30"},
            {"series": 'modelops_scans_total{outcome="Validated"}', "values": "0+1x30"},
        ],
        "alert_rule_test": [
            _silent("ModelOpsModelRejected", "1m"),
            _fires(
                "ModelOpsModelRejected",
                "5m",
                {"severity": "warning", "outcome": "Rejected"},
                "A ModelVersion was rejected by its scan",
                "1 ModelVersion(s) were rejected in the last 30 minutes: kubectl get mv -A and "
                "read status.scan of those in phase Rejected.",
            ),
        ],
    },
]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(), sort_keys=False))
    return tmp_path


def test_the_rules_pass_promtool_check(rules_dir: Path) -> None:
    result = _promtool("check", "rules", "rules.yaml", cwd=rules_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    alerts = {r["alert"] for g in rule_groups()["groups"] for r in g["rules"] if "alert" in r}
    tested = {t["alertname"] for case in TESTS for t in case["alert_rule_test"]}
    assert alerts == tested
    assert {
        "ModelOpsDriftHigh",
        "ModelOpsTrainingFailed",
        "ModelOpsModelRejected",
        "ModelOpsServingErrorRate",
        "ModelOpsNoReadyReplicas",
    } <= alerts


@pytest.mark.parametrize("case", TESTS, ids=[t["name"] for t in TESTS])
def test_the_alert_fires_when_it_should(rules_dir: Path, case: dict[str, Any]) -> None:
    (rules_dir / "test.yaml").write_text(
        yaml.safe_dump(
            {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [case]},
            sort_keys=False,
        )
    )
    result = _promtool("test", "rules", "test.yaml", cwd=rules_dir)
    assert result.returncode == 0, result.stdout + result.stderr

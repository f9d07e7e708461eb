"""The operator's ClusterRole is least privilege, proven on a running cluster.

The local cluster runs the operator as prod does (kopf peering, liveness endpoint), the
sample workload goes through training, scan, serving, a drift check, a requested
retraining with promotion, autoscaling and disruption budget, a ServiceMonitor, and a
suspended-then-resumed run. Every request the operator and kopf made, as the API server's
audit log records it, must be allowed by manifests/base's ClusterRole, and every grant
there must have been used (or be listed below with the reason it is not).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelops.local.kubelet.ports import free_port
from tests.install import rbac
from tests.install.conftest import MANIFESTS, ROOT, find, kustomize

OPERATOR_AGENTS = ("modelops-operator", "kopf/")
#: Grants the workload cannot reach, and why (the ClusterRole says so in a comment too).
UNEXERCISED = {
    rbac.Request(verb, "kopf.dev", "kopfpeerings"): "peering of a namespace-bound operator"
    for verb in ("list", "watch", "patch")
} | {rbac.Request("delete", "apps", "deployments"): "removing a canary (tests/e2e/test_serving.py)"}
SERVICE_MONITOR_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
    "spec": {
        "group": "monitoring.coreos.com",
        "scope": "Namespaced",
        "names": {
            "kind": "ServiceMonitor",
            "listKind": "ServiceMonitorList",
            "plural": "servicemonitors",
            "singular": "servicemonitor",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def operator_role() -> dict[str, Any]:
    return find(kustomize(MANIFESTS / "base"), "ClusterRole", "modelops-operator")


# -- the matcher, on plain values ------------------------------------------------------------


def test_rules_match_group_resource_and_verb_exactly() -> None:
    rule = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    assert rbac.allows([rule], rbac.Request("get", "apps", "deployments"))
    assert not rbac.allows([rule], rbac.Request("watch", "apps", "deployments"))
    assert not rbac.allows([rule], rbac.Request("get", "", "deployments"))
    assert not rbac.allows([rule], rbac.Request("get", "apps", "replicasets"))


def test_a_subresource_needs_its_own_grant() -> None:
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    assert not rbac.allows([rule], rbac.Request("get", "", "pods/log"))
    assert rbac.allows([{**rule, "resources": ["pods/log"]}], rbac.Request("get", "", "pods/log"))
    assert rbac.allows([{**rule, "resources": ["*/log"]}], rbac.Request("get", "", "pods/log"))
    assert not rbac.allows([{**rule, "resources": ["pods/log"]}], rbac.Request("get", "", "pods"))


def test_wildcards_and_resource_names() -> None:
    star = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    assert rbac.allows([star], rbac.Request("delete", "batch", "jobs/status"))
    named = {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "verbs": ["get"],
        "resourceNames": ["a"],
    }
    assert rbac.allows([named], rbac.Request("get", "", "configmaps", "a"))
    assert not rbac.allows([named], rbac.Request("get", "", "configmaps", "b"))
    assert not rbac.allows([named], rbac.Request("get", "", "configmaps"))


def test_an_apply_that_creates_counts_as_create() -> None:
    def record(verb: str, code: int) -> dict[str, Any]:
        return {
            "verb": verb,
            "api_group": "",
            "resource": "services",
            "subresource": "",
            "namespace": "ml",
            "name": "web",
            "user_agent": "modelops-operator",
            "code": code,
        }

    created = rbac.requests_of([record("get", 404), record("patch", 200)], OPERATOR_AGENTS)
    assert rbac.Request("create", "", "services") in created
    updated = rbac.requests_of([record("get", 200), record("patch", 200)], OPERATOR_AGENTS)
    assert rbac.Request("create", "", "services") not in updated


# -- the roles as written ---------------------------------------------------------------------


def test_no_role_uses_wildcards() -> None:
    roles = [o for o in kustomize(MANIFESTS / "base") if o["kind"] == "ClusterRole"]
    for role in roles:
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs"):
                assert not any("*" in value for value in rule[field]), (role["metadata"], rule)


@pytest.mark.parametrize("plural", ["trainingruns", "modelversions", "modeldeployments"])
def test_users_get_editor_and_viewer_roles_per_kind(plural: str) -> None:
    roles = {
        o["metadata"]["name"]: o
        for o in kustomize(MANIFESTS / "base")
        if o["kind"] == "ClusterRole"
    }
    singular = plural.removesuffix("s")
    editor, viewer = roles[f"modelops-{singular}-editor"], roles[f"modelops-{singular}-viewer"]
    labels = editor["metadata"]["labels"]
    assert labels["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert viewer["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    for verb in ("create", "update", "patch", "delete"):
        assert rbac.allows(editor["rules"], rbac.Request(verb, "modelops.dev", plural))
        assert not rbac.allows(viewer["rules"], rbac.Request(verb, "modelops.dev", plural))
    for verb in ("get", "list", "watch"):
        assert rbac.allows(viewer["rules"], rbac.Request(verb, "modelops.dev", plural))
    # Status is the operator's: people read it, never write it.
    assert not rbac.allows(
        editor["rules"], rbac.Request("patch", "modelops.dev", f"{plural}/status")
    )


def test_the_operator_never_reads_secrets() -> None:
    rules = operator_role()["rules"]
    for verb in ("get", "list", "watch"):
        assert not rbac.allows(rules, rbac.Request(verb, "", "secrets"))


# -- the proof on a running cluster -----------------------------------------------------------


@dataclass
class Workload:
    state: Path
    audit: list[dict[str, Any]]
    liveness: int


def _modelops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelops", *args], capture_output=True, text=True, timeout=180
    )


class _Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}

    def __call__(self, *args: str, input: str | None = None) -> str:
        result = subprocess.run(
            ["kubectl", *args],
            capture_output=True,
            text=True,
            env=self.env,
            input=input,
            timeout=60,
        )
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def apply(self, *objects: dict[str, Any]) -> None:
        self("apply", "-f", "-", input=yaml.safe_dump_all(objects))

    def wait_for(
        self, kind: str, name: str, predicate: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            found = self("get", kind, name, "-o", "json", "--ignore-not-found")
            if found.strip():
                last = json.loads(found)
                if predicate(last):
                    return last
            time.sleep(0.5)
        raise AssertionError(f"{kind}/{name} not there in {timeout}s: {last.get('status')}")

    def wait_gone(self, kind: str, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self("get", kind, name, "--ignore-not-found").strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"{kind}/{name} still there after {timeout}s")
            time.sleep(0.5)


def _ready(obj: dict[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _samples() -> tuple[dict[str, Any], dict[str, Any]]:
    samples = MANIFESTS / "samples"
    run = yaml.safe_load((samples / "modelops_v1alpha1_trainingrun.yaml").read_text())
    deployment = yaml.safe_load((samples / "modelops_v1alpha1_modeldeployment.yaml").read_text())
    spec = deployment["spec"]
    # Every optional child: HPA, PDB, ServiceMonitor; drift read often.
    spec["autoscaling"] = {"minReplicas": 2, "maxReplicas": 3}
    spec["minAvailable"] = 1
    spec["monitoring"] = {"serviceMonitor": True}
    spec["retraining"]["checkInterval"] = "2s"
    # The sample run's seed, known to export to ONNX within tolerance.
    spec["retraining"]["template"]["dataset"]["seed"] = run["spec"]["dataset"]["seed"]
    return run, deployment


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Workload:
    """The sample workload on a local cluster whose operator runs as in prod."""
    state = tmp_path_factory.mktemp("rbac-cluster")
    started = _modelops("local", "up", "--detach", "--no-operator", "--state-dir", str(state))
    assert started.returncode == 0, started.stderr
    operator: subprocess.Popen[bytes] | None = None
    try:
        kubectl = _Kubectl(state / "kubeconfig")
        prod = kustomize(MANIFESTS / "overlays" / "prod")
        command = find(prod, "Deployment", "modelops-operator")["spec"]["template"]["spec"][
            "containers"
        ][0]["command"]
        peering = [o for o in prod if o["apiVersion"].startswith("kopf.dev/")]
        crds = [o for o in prod if o["kind"] == "CustomResourceDefinition"]
        kubectl.apply(*[c for c in crds if c["spec"]["group"] == "kopf.dev"], SERVICE_MONITOR_CRD)
        time.sleep(1)
        kubectl.apply(*peering)

        liveness = free_port()
        args = command[2:]  # as in the Deployment, with the liveness port made free
        args[args.index("--liveness") + 1] = f"http://127.0.0.1:{liveness}/healthz"
        env = {
            **kubectl.env,
            "MODELOPS_ARTIFACT_ROOT": (state / "artifacts").as_uri(),
            "MODELOPS_METRICS_PORT": str(free_port()),
        }
        log = (state / "operator.log").open("ab")
        operator = subprocess.Popen(
            [sys.executable, "-m", "modelops", "operator", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

        run, deployment = _samples()
        suspended = {
            **run,
            "metadata": {"name": "suspended"},
            "spec": {**run["spec"], "suspend": True},
        }
        kubectl.apply(run, deployment, suspended)
        kubectl.wait_for("job", "suspended-train", lambda j: j["spec"].get("suspend") is True, 60)
        kubectl("patch", "tr", "suspended", "--type", "merge", "-p", '{"spec":{"suspend":false}}')
        kubectl.wait_for("job", "suspended-train", lambda j: j["spec"].get("suspend") is False, 60)
        kubectl("delete", "tr", "suspended", "--wait=false")

        name = deployment["metadata"]["name"]
        kubectl.wait_for("md", name, _ready, 150)
        kubectl.wait_for(
            "md", name, lambda md: (md["status"].get("drift") or {}).get("lastChecked"), 60
        )
        kubectl("annotate", "md", name, "modelops.dev/retrain-requested=rbac-test")
        kubectl.wait_for(
            "md",
            name,
            lambda md: (md["status"].get("lastRetraining") or {}).get("outcome") == "Promoted",
            150,
        )
        # Dropping the optional children from the spec deletes them: the delete grants.
        dropped = '{"spec":{"autoscaling":null,"minAvailable":null,"monitoring":null}}'
        kubectl("patch", "md", name, "--type", "merge", "-p", dropped)
        for kind in ("hpa", "pdb", "servicemonitors.monitoring.coreos.com"):
            kubectl.wait_gone(kind, name, 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{liveness}/healthz", timeout=5) as answer:
            assert answer.status == 200
    finally:
        if operator is not None:
            operator.send_signal(signal.SIGTERM)
            try:
                operator.wait(30)
            except subprocess.TimeoutExpired:
                operator.kill()
        stopped = _modelops("local", "down", "--state-dir", str(state))
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    return Workload(state, rbac.read_audit(state / "api" / "audit.jsonl"), liveness)


@pytest.mark.slow
def test_every_request_the_operator_made_is_allowed(workload: Workload) -> None:
    used = rbac.requests_of(workload.audit, OPERATOR_AGENTS)
    assert rbac.Request("create", "modelops.dev", "trainingruns") in used, "no retraining ran"
    rules = operator_role()["rules"]
    denied = sorted(str(r) for r in used if not rbac.allows(rules, r))
    assert denied == []


@pytest.mark.slow
def test_every_grant_is_used_or_explained(workload: Workload) -> None:
    used = rbac.requests_of(workload.audit, OPERATOR_AGENTS)
    unused = rbac.grants(operator_role()["rules"]) - used
    assert {str(r) for r in unused} == {str(r) for r in UNEXERCISED}
    source = (MANIFESTS / "base" / "rbac" / "operator_role.yaml").read_text().splitlines()
    for request in unused:
        line = next(i for i, text in enumerate(source) if f"[{request.resource}]" in text)
        assert any("Not exercised by test_rbac.py" in text for text in source[line - 4 : line])

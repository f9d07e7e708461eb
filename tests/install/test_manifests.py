"""What `kubectl apply -k` installs: it builds, validates, is safe, and matches the code.

Built-in kinds are validated offline against the Kubernetes 1.30 schemas (strict: unknown
fields fail), our kinds against our CRDs, pod templates against the restricted Pod
Security Standard, and the operator's Deployment against the settings it reads.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from modelops import settings as settings_module
from modelops.cli import COMMANDS
from tests import pss
from tests.crdschema import load_crds, validation_errors
from tests.install.conftest import ENTRY_POINTS, MANIFESTS, ROOT, find, kustomize
from tools import manifests as manifests_tool

K8S_VERSION = "1.30"
BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "apiextensions.k8s.io",
}
OUR_KINDS = set(load_crds())


def _group(obj: dict[str, Any]) -> str:
    api_version: str = obj["apiVersion"]
    return api_version.rpartition("/")[0]


def _all_objects(builds: dict[str, list[dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(entry, obj) for entry, objects in builds.items() for obj in objects]


def _operator(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return find(objects, "Deployment", "modelops-operator")


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = _operator(objects)["spec"]["template"]["spec"]["containers"][0]
    return container


def test_the_monitoring_component_builds_on_its_own(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "components": [os.path.relpath(MANIFESTS / "components" / "monitoring", tmp_path)],
            }
        )
    )
    kinds = sorted(o["kind"] for o in kustomize(tmp_path))
    assert kinds == ["ConfigMap", "PodMonitor", "PrometheusRule", "ServiceMonitor"]


def test_default_is_the_dev_overlay(builds: dict[str, list[dict[str, Any]]]) -> None:
    assert builds["default"] == builds["overlays/dev"]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_built_in_objects_validate_strictly_against_kubernetes_1_30(
    builds: dict[str, list[dict[str, Any]]], entry: str
) -> None:
    failures = []
    for obj in builds[entry]:
        if _group(obj) not in BUILTIN_GROUPS:
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{obj['kind']}/{obj['metadata']['name']}"
            failures.append(f"{name}: {error.message}")
    assert failures == []


def test_custom_objects_have_the_structure_their_controllers_need(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    """No offline schemas exist for these kinds: check what their controllers require."""
    checked = set()
    for _, obj in _all_objects(builds):
        kind, group = obj["kind"], _group(obj)
        if group in BUILTIN_GROUPS:
            continue
        checked.add(kind)
        if kind in OUR_KINDS:
            assert validation_errors(load_crds()[kind], obj) == []
        elif kind == "PodMonitor":
            assert obj["spec"]["selector"]["matchLabels"]
            assert all("port" in e for e in obj["spec"]["podMetricsEndpoints"])
        elif kind == "ServiceMonitor":
            assert obj["spec"]["selector"]["matchLabels"]
            assert all("port" in e for e in obj["spec"]["endpoints"])
        elif kind == "PrometheusRule":
            for group_ in obj["spec"]["groups"]:
                assert group_["name"] and group_["rules"]
                assert all({"alert", "expr"} <= set(r) for r in group_["rules"])
        elif kind == "Application":
            spec = obj["spec"]
            assert {"project", "source", "destination"} <= set(spec)
            assert {"repoURL", "path", "targetRevision"} <= set(spec["source"])
            assert spec["destination"]["server"] or spec["destination"]["name"]
        elif kind == "ClusterKopfPeering":
            assert group == "kopf.dev"
        else:
            pytest.fail(f"no check for {group}/{kind}: add one")
    assert {"PodMonitor", "ServiceMonitor", "PrometheusRule", "Application"} <= checked


def test_every_pod_template_meets_the_restricted_pod_security_standard(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    templates = [
        (entry, obj["metadata"]["name"], obj["spec"]["template"]["spec"])
        for entry, obj in _all_objects(builds)
        if obj["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet")
    ]
    assert templates
    assert [(e, n, v) for e, n, spec in templates for v in pss.violations(spec)] == []


@pytest.mark.parametrize("entry", ["overlays/dev", "overlays/prod"])
def test_the_operator_runs_locked_down_with_probes_and_limits(
    builds: dict[str, list[dict[str, Any]]], entry: str
) -> None:
    container = _container(builds[entry])
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["command"][:4] == ["modelops", "operator", "--liveness"] + [
        "http://0.0.0.0:8081/healthz"
    ]
    assert "operator" in COMMANDS
    health_port = next(p for p in container["ports"] if p["name"] == "health")
    assert health_port["containerPort"] == 8081
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert tmp, "a read-only root filesystem needs a writable /tmp"


@pytest.mark.parametrize("entry", ["overlays/dev", "overlays/prod"])
def test_the_operator_gets_every_setting_and_nothing_else(
    builds: dict[str, list[dict[str, Any]]], entry: str
) -> None:
    env = {e["name"]: e["value"] for e in _container(builds[entry])["env"]}
    ours = {name for name in env if name.startswith(settings_module.PREFIX)}
    fields = {
        settings_module.env_name(f.name) for f in dataclasses.fields(settings_module.Settings)
    }
    assert ours == fields
    parsed = settings_module.Settings.from_env(env)
    assert parsed.metrics_port == settings_module.Settings().metrics_port


def test_the_base_sets_every_setting_to_its_default(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    base = kustomize(MANIFESTS / "base")
    env = {e["name"]: e["value"] for e in _container(base)["env"]}
    assert settings_module.Settings.from_env(env) == settings_module.Settings()


@pytest.mark.parametrize("entry", ["overlays/dev", "overlays/prod"])
def test_images_are_the_ones_the_settings_name(
    builds: dict[str, list[dict[str, Any]]], entry: str
) -> None:
    defaults = settings_module.Settings()
    container = _container(builds[entry])
    env = {e["name"]: e["value"] for e in container["env"]}
    configured = settings_module.Settings.from_env(env)
    repository = defaults.trainer_image.rpartition(":")[0]
    assert configured.trainer_image.rpartition(":")[0] == repository
    assert configured.server_image.rpartition(":")[0] == defaults.server_image.rpartition(":")[0]
    assert container["image"].rpartition(":")[0] == repository.replace("-runtime", "-operator")
    tags = {container["image"], configured.trainer_image, configured.server_image}
    assert len({image.rpartition(":")[2] for image in tags}) == 1, f"mixed releases: {tags}"


def test_prod_pins_the_release_the_package_is(builds: dict[str, list[dict[str, Any]]]) -> None:
    image = _container(builds["overlays/prod"])["image"]
    assert image == settings_module.Settings().trainer_image.replace("-runtime", "-operator")


def test_the_metrics_service_reaches_the_metrics_port(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    objects = builds["overlays/prod"]
    service = find(objects, "Service", "modelops-operator-metrics")
    port = service["spec"]["ports"][0]
    assert port["port"] == settings_module.Settings().metrics_port
    container_port = next(
        p for p in _container(objects)["ports"] if p["name"] == port["targetPort"]
    )
    assert container_port["containerPort"] == settings_module.Settings().metrics_port
    labels = _operator(objects)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_prod_runs_two_peered_replicas(builds: dict[str, list[dict[str, Any]]]) -> None:
    objects = builds["overlays/prod"]
    operator = _operator(objects)
    assert operator["spec"]["replicas"] == 2
    command = operator["spec"]["template"]["spec"]["containers"][0]["command"]
    peering = command[command.index("--peering") + 1]
    find(objects, "ClusterKopfPeering", peering)
    crds = {o["metadata"]["name"] for o in objects if o["kind"] == "CustomResourceDefinition"}
    assert {"clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"} <= crds
    find(objects, "PodDisruptionBudget", "modelops-operator")


def test_dev_runs_standalone_and_needs_no_prometheus_operator(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    objects = builds["overlays/dev"]
    assert "--peering" not in _container(objects)["command"]
    assert [o["kind"] for o in objects if _group(o) == "monitoring.coreos.com"] == []


def test_every_install_carries_the_generated_crds_unchanged(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    generated = load_crds()
    for entry in ("overlays/dev", "overlays/prod"):
        installed = {
            o["spec"]["names"]["kind"]: o
            for o in builds[entry]
            if o["kind"] == "CustomResourceDefinition" and o["spec"]["group"] == "modelops.dev"
        }
        assert set(installed) == set(generated)
        for kind, crd in installed.items():
            assert crd["spec"] == generated[kind]["spec"]


def test_argo_cd_syncs_the_namespace_then_crds_then_the_rest(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    def wave(obj: dict[str, Any]) -> int:
        annotations = obj["metadata"].get("annotations") or {}
        return int(annotations.get("argocd.argoproj.io/sync-wave", "0"))

    objects = builds["overlays/prod"]
    crd_waves = {wave(o) for o in objects if o["kind"] == "CustomResourceDefinition"}
    assert len(crd_waves) == 1
    (crd_wave,) = crd_waves
    assert wave(find(objects, "Namespace")) < crd_wave
    others = [o for o in objects if o["kind"] not in ("CustomResourceDefinition", "Namespace")]
    assert all(wave(o) > crd_wave for o in others)


def test_the_argo_cd_application_tracks_an_overlay_with_server_side_apply(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    application = find(builds["argocd"], "Application", "modelops")
    assert (ROOT / application["spec"]["source"]["path"] / "kustomization.yaml").exists()
    assert "ServerSideApply=true" in application["spec"]["syncPolicy"]["syncOptions"]


def test_namespaced_objects_land_in_modelops_system(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    cluster_scoped = {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterKopfPeering",
    }
    for entry in ("overlays/dev", "overlays/prod"):
        for obj in builds[entry]:
            if obj["kind"] not in cluster_scoped:
                assert obj["metadata"].get("namespace") == "modelops-system", obj["metadata"]


def test_the_grafana_sidecar_finds_the_dashboard(
    builds: dict[str, list[dict[str, Any]]],
) -> None:
    config_map = find(builds["overlays/prod"], "ConfigMap", "modelops-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert list(config_map["data"]) == ["modelops-dashboard.json"]


def test_install_yaml_is_the_prod_overlay_in_one_file(
    builds: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    output = tmp_path / "install.yaml"
    assert manifests_tool.main(["--output", str(output)]) == 0
    assert [o for o in yaml.safe_load_all(output.read_text()) if o] == builds["overlays/prod"]

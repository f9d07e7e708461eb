"""Serving objects: probes on the V2 health endpoints, restricted pods, canary split."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from modelops.api.modeldeployment import ModelDeploymentSpec
from modelops.render import serving
from modelops.settings import Settings
from modelops.structs import Owner
from tests.crdschema import SAMPLES_DIR
from tests.pss import violations

SETTINGS = Settings()
OWNER = Owner("ModelDeployment", "bc", "ml", "uid-9")
SERVED = serving.Served(3, "bc-v3", "s3://a/bc/run3", "sha256:" + "c" * 64)


def _spec(**update: Any) -> ModelDeploymentSpec:
    sample = yaml.safe_load((SAMPLES_DIR / "modelops_v1alpha1_modeldeployment.yaml").read_text())
    return ModelDeploymentSpec.model_validate({**sample["spec"], **update})


def test_the_deployment_serves_the_version_with_its_digest_and_health_probes() -> None:
    deployment = serving.deployment(OWNER, _spec(), SERVED, SETTINGS, replicas=2)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--model-version") + 1] == "3"
    assert args[args.index("--digest") + 1] == SERVED.digest
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert deployment["spec"]["replicas"] == 2
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"


def test_the_service_selects_both_tracks_and_each_deployment_one() -> None:
    service = serving.service(OWNER, _spec(), SETTINGS)
    stable = serving.deployment(OWNER, _spec(), SERVED, SETTINGS, 1)
    canary = serving.deployment(OWNER, _spec(), SERVED, SETTINGS, 1, serving.CANARY)
    for deployment in (stable, canary):
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert stable["metadata"]["name"] != canary["metadata"]["name"]
    assert stable["spec"]["selector"] != canary["spec"]["selector"]


@pytest.mark.parametrize(
    ("replicas", "weight", "expected"),
    [
        (4, 25, (3, 1)),
        (10, 50, (5, 5)),
        (1, 10, (1, 1)),
        (3, 0, (3, 0)),
        (3, 100, (0, 3)),
        (0, 50, (0, 0)),
    ],
)
def test_canary_replicas_follow_the_weight(
    replicas: int, weight: int, expected: tuple[int, int]
) -> None:
    assert serving.split_replicas(replicas, weight) == expected


def test_every_serving_object_is_valid_and_pods_pass_pss_restricted() -> None:
    spec = _spec(autoscaling={"minReplicas": 1, "maxReplicas": 4}, minAvailable=1)
    objects = [
        serving.deployment(OWNER, spec, SERVED, SETTINGS, 2),
        serving.service(OWNER, spec, SETTINGS),
        serving.network_policy(OWNER, SETTINGS),
        serving.autoscaler(OWNER, spec),
        serving.disruption_budget(OWNER, spec),
    ]
    for obj in objects:
        assert obj is not None
        kubernetes_validate.validate(obj, "1.30", strict=True)
    assert violations(objects[0]["spec"]["template"]["spec"]) == []


def test_the_network_policy_admits_only_the_serving_port() -> None:
    policy = serving.network_policy(OWNER, SETTINGS)
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    assert rule == {"ports": [{"port": SETTINGS.serving_port, "protocol": "TCP"}]}


def test_optional_children_are_rendered_when_asked_for_and_none_when_not() -> None:
    asked = _spec(
        autoscaling={"minReplicas": 1, "maxReplicas": 4},
        minAvailable=1,
        monitoring={"serviceMonitor": True},
    )
    children = serving.optional_children(OWNER, asked, service_monitors=True)
    assert {kind for _, kind, _ in children} == {
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
    }
    assert all(rendered is not None for rendered in children.values())
    for (api_version, kind, name), rendered in children.items():
        assert rendered is not None
        assert (rendered["apiVersion"], rendered["kind"], rendered["metadata"]["name"]) == (
            api_version,
            kind,
            name,
        )

    plain = serving.optional_children(OWNER, _spec(), service_monitors=True)
    assert len(plain) == 3 and all(rendered is None for rendered in plain.values())
    # Without the Prometheus Operator's CRD there is no ServiceMonitor to create or delete.
    assert len(serving.optional_children(OWNER, _spec(), service_monitors=False)) == 2


def _args(spec: ModelDeploymentSpec) -> list[str]:
    served = serving.Served(
        1, "bc-v1", "file:///var/lib/modelops/artifacts/ml/bc/r", "sha256:" + "a" * 64
    )
    container = serving.deployment(OWNER, spec, served, SETTINGS, 1)["spec"]["template"]["spec"][
        "containers"
    ][0]
    args: list[str] = container["args"]
    return args


def test_payload_logging_without_a_uri_logs_under_the_namespaces_model() -> None:
    spec = _spec(server={"payloadLogging": {"enabled": True, "sampleRate": 0.5}})
    args = _args(spec)
    uri = args[args.index("--payload-log-uri") + 1]
    assert uri == "file:///var/lib/modelops/artifacts/ml/breast-cancer/payloads"
    assert args[args.index("--payload-sample-rate") + 1] == "0.5"


def test_payload_logging_off_passes_no_log_flags() -> None:
    assert "--payload-log-uri" not in _args(_spec())

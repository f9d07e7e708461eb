"""The serving objects of a ModelDeployment: Deployment(s), Service and optional extras.

A canary runs as a second Deployment behind the same Service; the Service selects
both tracks, so traffic splits in proportion to replicas, without a mesh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from modelops.api.modeldeployment import ModelDeploymentSpec
from modelops.render import names, pods
from modelops.settings import Settings
from modelops.structs import Owner
from modelops.uris import join

HTTP = "http"
STABLE = "stable"
CANARY = "canary"


@dataclass(frozen=True)
class Served:
    """A ModelVersion to serve: its number, name, artifact and digest."""

    number: int
    name: str
    artifact_uri: str
    digest: str


def selector(owner: Owner) -> dict[str, str]:
    """Labels selecting every serving pod of the deployment, both tracks."""
    return {names.DEPLOYMENT: names.label_value(owner.name), names.COMPONENT: "predictor"}


def selector_string(owner: Owner) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector(owner).items()))


def split_replicas(replicas: int, weight: int) -> tuple[int, int]:
    """(stable, canary) replicas for a canary ``weight`` in percent; a canary gets at least 1."""
    if replicas == 0 or weight <= 0:
        return replicas, 0
    if weight >= 100:
        return 0, replicas
    canary = min(replicas, max(1, math.floor(replicas * weight / 100 + 0.5)))
    return max(replicas - canary, 1), canary


def payload_log_uri(owner: Owner, spec: ModelDeploymentSpec, settings: Settings) -> str | None:
    """Where sampled payloads go: the spec's URI, else ``<root>/<namespace>/<model>/payloads``."""
    logging = spec.server.payload_logging
    if not logging.enabled:
        return None
    return logging.uri or join(settings.artifact_root, owner.namespace, spec.model, "payloads")


def _server_args(
    owner: Owner, spec: ModelDeploymentSpec, served: Served, settings: Settings
) -> list[str]:
    server = spec.server
    args = [
        "--model-name",
        spec.model,
        "--model-version",
        str(served.number),
        "--artifact-uri",
        served.artifact_uri,
        "--digest",
        served.digest,
        "--max-batch-size",
        str(server.max_batch_size),
        "--max-body-bytes",
        str(server.max_body_bytes),
        "--non-finite",
        str(server.non_finite),
    ]
    drift = spec.monitoring.drift
    args += ["--drift-window", str(drift.window)] if drift.enabled else ["--no-drift"]
    payloads = payload_log_uri(owner, spec, settings)
    if payloads is not None:
        rate = str(server.payload_logging.sample_rate)
        args += ["--payload-log-uri", payloads, "--payload-sample-rate", rate]
    return args


def deployment(
    owner: Owner,
    spec: ModelDeploymentSpec,
    served: Served,
    settings: Settings,
    replicas: int,
    track: str = STABLE,
) -> dict[str, Any]:
    """The Deployment serving ``served`` on one track (stable or canary)."""
    labels = {
        **names.labels("predictor", **{names.MODEL: spec.model}),
        **selector(owner),
        names.TRACK: track,
    }
    pod_labels = {**labels, names.VERSION: str(served.number), names.MODEL_VERSION: served.name}
    volumes, mounts = pods.volumes(settings, served.artifact_uri)
    port = settings.serving_port
    probe = {"httpGet": {"path": "/v2/health/ready", "port": HTTP}, "periodSeconds": 2}
    container = {
        "name": "server",
        "image": settings.server_image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": ["modelops", "serve"],
        "args": pods.literal(_server_args(owner, spec, served, settings)),
        "env": [{"name": "MODELOPS_PORT", "value": str(port)}],
        "ports": [{"name": HTTP, "containerPort": port, "protocol": "TCP"}],
        "readinessProbe": {**probe, "failureThreshold": 2},
        "livenessProbe": {
            "httpGet": {"path": "/v2/health/live", "port": HTTP},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "resources": pods.resources(spec.resources.requests, spec.resources.limits),
        "securityContext": pods.container_security_context(),
        "volumeMounts": mounts,
    }
    pod_spec: dict[str, Any] = {
        "securityContext": pods.pod_security_context(),
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 30,
        "containers": [container],
        "volumes": volumes,
    }
    if spec.service_account_name:
        pod_spec["serviceAccountName"] = spec.service_account_name
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": names.predictor(owner.name, canary=track == CANARY),
            "namespace": owner.namespace,
            "labels": labels,
            "ownerReferences": [owner.reference()],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {**selector(owner), names.TRACK: track}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": spec.rollout.max_surge,
                    "maxUnavailable": spec.rollout.max_unavailable,
                },
            },
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def service(owner: Owner, spec: ModelDeploymentSpec, settings: Settings) -> dict[str, Any]:
    """The Service in front of both tracks, named like the ModelDeployment."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": owner.name,
            "namespace": owner.namespace,
            "labels": {**names.labels("predictor", **{names.MODEL: spec.model}), **selector(owner)},
            "ownerReferences": [owner.reference()],
        },
        "spec": {
            "selector": selector(owner),
            "ports": [{"name": HTTP, "port": 80, "targetPort": HTTP, "protocol": "TCP"}],
        },
    }


def network_policy(owner: Owner, settings: Settings) -> dict[str, Any]:
    """Ingress to the serving pods only on the serving port."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": names.predictor(owner.name),
            "namespace": owner.namespace,
            "labels": names.labels("predictor"),
            "ownerReferences": [owner.reference()],
        },
        "spec": {
            "podSelector": {"matchLabels": selector(owner)},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": settings.serving_port, "protocol": "TCP"}]}],
        },
    }


def autoscaler(owner: Owner, spec: ModelDeploymentSpec) -> dict[str, Any] | None:
    """A HorizontalPodAutoscaler scaling the ModelDeployment through its scale subresource."""
    if spec.autoscaling is None:
        return None
    scaling = spec.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": owner.name,
            "namespace": owner.namespace,
            "labels": names.labels("predictor"),
            "ownerReferences": [owner.reference()],
        },
        "spec": {
            "scaleTargetRef": {
                "apiVersion": owner.reference()["apiVersion"],
                "kind": owner.kind,
                "name": owner.name,
            },
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": scaling.target_cpu_utilization,
                        },
                    },
                }
            ],
        },
    }


def disruption_budget(owner: Owner, spec: ModelDeploymentSpec) -> dict[str, Any] | None:
    if spec.min_available is None:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": owner.name,
            "namespace": owner.namespace,
            "labels": names.labels("predictor"),
            "ownerReferences": [owner.reference()],
        },
        "spec": {"minAvailable": spec.min_available, "selector": {"matchLabels": selector(owner)}},
    }


def service_monitor(owner: Owner, spec: ModelDeploymentSpec) -> dict[str, Any]:
    """A Prometheus Operator ServiceMonitor scraping the serving pods' /metrics."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": owner.name,
            "namespace": owner.namespace,
            "labels": names.labels("predictor", **{names.MODEL: spec.model}),
            "ownerReferences": [owner.reference()],
        },
        "spec": {
            "selector": {"matchLabels": selector(owner)},
            "endpoints": [{"port": HTTP, "path": "/metrics", "interval": "15s"}],
        },
    }


#: (apiVersion, kind, name) of one object a ModelDeployment may own.
ChildKey = tuple[str, str, str]


def optional_children(
    owner: Owner, spec: ModelDeploymentSpec, service_monitors: bool
) -> dict[ChildKey, dict[str, Any] | None]:
    """The objects a spec may or may not ask for: each rendered, or None when it does not.

    None means "must not exist": an autoscaler, budget or ServiceMonitor left from an
    earlier spec is deleted. ServiceMonitors appear only where their CRD is served.
    """
    children: dict[ChildKey, dict[str, Any] | None] = {
        ("autoscaling/v2", "HorizontalPodAutoscaler", owner.name): autoscaler(owner, spec),
        ("policy/v1", "PodDisruptionBudget", owner.name): disruption_budget(owner, spec),
    }
    if service_monitors:
        monitor = service_monitor(owner, spec) if spec.monitoring.service_monitor else None
        children[("monitoring.coreos.com/v1", "ServiceMonitor", owner.name)] = monitor
    return children


def child_keys(owner: Owner, service_monitors: bool) -> list[ChildKey]:
    """Every object a ModelDeployment may own, whatever its spec asks for now."""
    keys: list[ChildKey] = [
        ("v1", "Service", owner.name),
        ("networking.k8s.io/v1", "NetworkPolicy", names.predictor(owner.name)),
        ("apps/v1", "Deployment", names.predictor(owner.name)),
        ("apps/v1", "Deployment", names.predictor(owner.name, canary=True)),
        ("autoscaling/v2", "HorizontalPodAutoscaler", owner.name),
        ("policy/v1", "PodDisruptionBudget", owner.name),
    ]
    if service_monitors:
        keys.append(("monitoring.coreos.com/v1", "ServiceMonitor", owner.name))
    return keys

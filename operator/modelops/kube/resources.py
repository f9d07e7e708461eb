"""Where each kind the operator touches lives in the REST API: plural name and scope."""

from __future__ import annotations

from dataclasses import dataclass

from modelops import API_VERSION


@dataclass(frozen=True)
class Resource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """REST path of the collection, or of one object when ``name`` is given."""
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        parts = [prefix]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)


_KNOWN = (
    Resource("v1", "Pod", "pods"),
    Resource("v1", "Service", "services"),
    Resource("v1", "Secret", "secrets"),
    Resource("v1", "ConfigMap", "configmaps"),
    Resource("v1", "Event", "events"),
    Resource("apps/v1", "Deployment", "deployments"),
    Resource("batch/v1", "Job", "jobs"),
    Resource("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    Resource("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    Resource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
    Resource("monitoring.coreos.com/v1", "ServiceMonitor", "servicemonitors"),
    Resource(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        namespaced=False,
    ),
    Resource(API_VERSION, "TrainingRun", "trainingruns"),
    Resource(API_VERSION, "ModelVersion", "modelversions"),
    Resource(API_VERSION, "ModelDeployment", "modeldeployments"),
)

RESOURCES: dict[tuple[str, str], Resource] = {(r.api_version, r.kind): r for r in _KNOWN}


def resource(api_version: str, kind: str) -> Resource:
    """The resource of a kind the operator knows; KeyError names an unknown one."""
    try:
        return RESOURCES[(api_version, kind)]
    except KeyError:
        raise KeyError(f"modelops does not manage {kind} ({api_version})") from None

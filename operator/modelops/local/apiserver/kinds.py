"""The resource types the embedded API serves: built-in kinds from a table, CRDs as applied.

Discovery, routing, validation, tables and OpenAPI all read one `ResourceType` per
served group/version/resource, so adding a built-in kind is one row in `_BUILTINS` and
applying a CustomResourceDefinition makes its kinds served everywhere at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]

_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclasses.dataclass(frozen=True)
class ScaleSpec:
    """Where a kind keeps the fields its `/scale` subresource reads and writes."""

    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str | None = None


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """One served resource (`group/version/plural`) and everything known about it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    scale: ScaleSpec | None = None
    printer_columns: tuple[Obj, ...] = ()
    schema: Obj | None = None
    """The CRD version's openAPIV3Schema; None for built-ins (they are not validated)."""
    crd_name: str | None = None
    generation: bool = True
    """Whether `metadata.generation` is kept: CRs and kinds with a spec, as Kubernetes does."""
    returns_deleted: bool = True
    """Whether DELETE answers with the object (Pods, Services, CRs) rather than a Status."""
    only_verbs: tuple[str, ...] = ()
    """The verbs served when not all of them (review kinds are create-only)."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def qualified(self) -> str:
        """`configmaps` or `trainingruns.modelops.dev`, as Kubernetes names it in errors."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def verbs(self) -> tuple[str, ...]:
        return self.only_verbs or _ALL_VERBS

    @property
    def is_review(self) -> bool:
        """A create-only review kind, answered and never stored."""
        return self.only_verbs == ("create",)


def _builtin(
    group_version: str,
    kind: str,
    plural: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    scale: bool = False,
    generation: bool = False,
    returns_deleted: bool = False,
    verbs: tuple[str, ...] = (),
) -> ResourceType:
    group, _, version = group_version.rpartition("/")
    return ResourceType(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        subresources=sub,
        scale=ScaleSpec(label_selector_path=".spec.selector") if scale else None,
        generation=generation,
        returns_deleted=returns_deleted,
        only_verbs=verbs,
    )


_ALL = ("all",)

# generation=True where the kind's registry strategy keeps `metadata.generation` (kinds
# with a desired state); ConfigMaps, Secrets, Services, Pods and the like have none.
_BUILTINS: tuple[ResourceType, ...] = (
    _builtin(
        "v1", "Namespace", "namespaces", namespaced=False, short=("ns",), sub=("status",),
        returns_deleted=True,
    ),
    _builtin(
        "v1", "Pod", "pods", short=("po",), categories=_ALL, sub=("status", "log"),
        returns_deleted=True,
    ),
    _builtin(
        "v1", "Service", "services", short=("svc",), categories=_ALL, sub=("status",),
        returns_deleted=True,
    ),
    _builtin("v1", "ConfigMap", "configmaps", short=("cm",)),
    _builtin("v1", "Secret", "secrets"),
    _builtin("v1", "Event", "events", short=("ev",)),
    _builtin("v1", "ServiceAccount", "serviceaccounts", short=("sa",)),
    _builtin("v1", "Endpoints", "endpoints", short=("ep",)),
    _builtin(
        "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), sub=("status",)
    ),
    _builtin(
        "v1", "PersistentVolume", "persistentvolumes", namespaced=False, short=("pv",),
        sub=("status",),
    ),
    _builtin(
        "v1", "ReplicationController", "replicationcontrollers", short=("rc",), categories=_ALL,
        sub=("status", "scale"), scale=True, generation=True,
    ),
    _builtin("v1", "PodTemplate", "podtemplates"),
    _builtin("v1", "ResourceQuota", "resourcequotas", short=("quota",), sub=("status",)),
    _builtin("v1", "LimitRange", "limitranges", short=("limits",)),
    _builtin("v1", "Node", "nodes", namespaced=False, short=("no",), sub=("status",)),
    _builtin(
        "apps/v1", "Deployment", "deployments", short=("deploy",), categories=_ALL,
        sub=("status", "scale"), scale=True, generation=True,
    ),
    _builtin(
        "apps/v1", "ReplicaSet", "replicasets", short=("rs",), categories=_ALL,
        sub=("status", "scale"), scale=True, generation=True,
    ),
    _builtin(
        "apps/v1", "StatefulSet", "statefulsets", short=("sts",), categories=_ALL,
        sub=("status", "scale"), scale=True, generation=True,
    ),
    _builtin(
        "apps/v1", "DaemonSet", "daemonsets", short=("ds",), categories=_ALL, sub=("status",),
        generation=True,
    ),
    _builtin("apps/v1", "ControllerRevision", "controllerrevisions"),
    _builtin("batch/v1", "Job", "jobs", categories=_ALL, sub=("status",), generation=True),
    _builtin(
        "batch/v1", "CronJob", "cronjobs", short=("cj",), categories=_ALL, sub=("status",),
        generation=True,
    ),
    _builtin("coordination.k8s.io/v1", "Lease", "leases"),
    _builtin("events.k8s.io/v1", "Event", "events", short=("ev",)),
    _builtin("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", generation=True),
    _builtin(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions",
        namespaced=False, short=("crd", "crds"), categories=("api-extensions",), sub=("status",),
        generation=True,
    ),
    _builtin(
        "apiregistration.k8s.io/v1", "APIService", "apiservices", namespaced=False,
        categories=("api-extensions",), sub=("status",),
    ),
    _builtin(
        "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations", namespaced=False, categories=("api-extensions",),
        generation=True,
    ),
    _builtin(
        "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations", namespaced=False, categories=("api-extensions",),
        generation=True,
    ),
    _builtin(
        "autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short=("hpa",),
        categories=_ALL, sub=("status",), generation=True,
    ),
    _builtin(
        "policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",),
        sub=("status",), generation=True,
    ),
    _builtin(
        "networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", short=("netpol",),
        generation=True,
    ),
    _builtin(
        "networking.k8s.io/v1", "Ingress", "ingresses", short=("ing",), sub=("status",),
        generation=True,
    ),
    _builtin(
        "networking.k8s.io/v1", "IngressClass", "ingressclasses", namespaced=False, generation=True
    ),
    _builtin(
        "storage.k8s.io/v1", "StorageClass", "storageclasses", namespaced=False, short=("sc",)
    ),
    _builtin(
        "scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", namespaced=False,
        short=("pc",),
    ),
    _builtin("rbac.authorization.k8s.io/v1", "Role", "roles"),
    _builtin("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    _builtin("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", namespaced=False),
    _builtin(
        "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings",
        namespaced=False,
    ),
    _builtin(
        "authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
        namespaced=False, verbs=("create",),
    ),
    _builtin(
        "authorization.k8s.io/v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews",
        namespaced=False, verbs=("create",),
    ),
    _builtin(
        "authentication.k8s.io/v1", "SelfSubjectReview", "selfsubjectreviews",
        namespaced=False, verbs=("create",),
    ),
)  # fmt: skip

CRD_GROUP = "apiextensions.k8s.io"
CRD_PLURAL = "customresourcedefinitions"
NAMESPACES = ("", "namespaces")


def types_from_crd(crd: Obj) -> list[ResourceType]:
    """Every served version of a CustomResourceDefinition as a `ResourceType`."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    kind = names["kind"]
    served: list[ResourceType] = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        scale_spec = subresources.get("scale")
        sub = tuple(name for name in ("status", "scale") if name in subresources)
        served.append(
            ResourceType(
                group=spec["group"],
                version=version["name"],
                kind=kind,
                plural=names["plural"],
                singular=names.get("singular") or kind.lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=sub,
                scale=ScaleSpec(
                    spec_replicas_path=scale_spec["specReplicasPath"],
                    status_replicas_path=scale_spec["statusReplicasPath"],
                    label_selector_path=scale_spec.get("labelSelectorPath"),
                )
                if scale_spec is not None
                else None,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                schema=(version.get("schema") or {}).get("openAPIV3Schema")
                or {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                crd_name=crd["metadata"]["name"],
            )
        )
    return served


class Registry:
    """The served resource types, looked up by group/version/plural or by kind."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self.generation = 0
        """Rises whenever the served set changes (derived documents cache on it)."""
        for rtype in _BUILTINS:
            self._add(rtype)

    def _add(self, rtype: ResourceType) -> None:
        self.generation += 1
        self._types[(rtype.group, rtype.version, rtype.plural)] = rtype

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def storage_type(self, group: str, plural: str) -> ResourceType | None:
        """Any served version of a group/resource (objects are stored once per resource)."""
        return next((t for t in self if t.group == group and t.plural == plural), None)

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._types.values()))

    def group_versions(self) -> dict[str, list[str]]:
        """Served versions per API group, in the order first seen ("" is the core group)."""
        groups: dict[str, list[str]] = {}
        for rtype in self:
            versions = groups.setdefault(rtype.group, [])
            if rtype.version not in versions:
                versions.append(rtype.version)
        return groups

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self if t.group == group and t.version == version]

    def serve_crd(self, crd: Obj) -> None:
        """Replace whatever this CRD served before with what it declares now."""
        self.forget_crd(crd["metadata"]["name"])
        for rtype in types_from_crd(crd):
            self._add(rtype)

    def forget_crd(self, crd_name: str) -> None:
        for key, rtype in list(self._types.items()):
            if rtype.crd_name == crd_name:
                self.generation += 1
                del self._types[key]

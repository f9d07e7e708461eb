"""Kubernetes object semantics over the store: what a create, update, patch or delete means.

This is where metadata is stamped (uid, resourceVersion, generation, creationTimestamp,
namespace, generateName), optimistic concurrency is checked, `/status` and `/scale` are
split from the main resource, finalizers hold deletions, and owner references cascade
(background garbage collection). Namespaces and CRDs are deleted like the real server:
their contents first, then themselves. Every write is validated and copied before it
touches the store, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import random
import uuid
from typing import Any

from . import apply, defaults, endpoints, errors, names, patch, selectors, validation
from .kinds import CRD_GROUP, CRD_PLURAL, NAMESPACES, Registry, ResourceType
from .store import Key, Store
from .watch import Event, EventLog

Obj = dict[str, Any]

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SERVER_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_UNDELETABLE_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
PODS = ("", "pods")
SERVICES = ("", "services")
SECRETS = ("", "secrets")
JOBS = ("batch", "jobs")
FOREGROUND = "foregroundDeletion"
ROOT_CA = "kube-root-ca.crt"


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dotted(obj: Obj, path: str) -> Any:
    value: Any = obj
    for part in path.strip(".").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _set_dotted(obj: Obj, path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


class Cluster:
    """All objects of the embedded API and the rules for changing them."""

    def __init__(self, store: Store, registry: Registry, log: EventLog) -> None:
        self.store = store
        self.registry = registry
        self.log = log
        for key, obj in store.everything():
            if (key[0], key[1]) == (CRD_GROUP, CRD_PLURAL) and not obj["metadata"].get(
                "deletionTimestamp"
            ):
                registry.serve_crd(obj)
        for name in INITIAL_NAMESPACES:
            if store.get(("", "namespaces", "", name)) is None:
                self.create(self._type(NAMESPACES), "", {"metadata": {"name": name}})

    def _type(self, group_plural: tuple[str, str]) -> ResourceType:
        rtype = self.registry.storage_type(*group_plural)
        assert rtype is not None, group_plural
        return rtype

    @staticmethod
    def key(rtype: ResourceType, namespace: str, name: str) -> Key:
        return (rtype.group, rtype.plural, namespace if rtype.namespaced else "", name)

    @staticmethod
    def present(rtype: ResourceType, obj: Obj) -> Obj:
        """The stored object as served under `rtype`'s version."""
        if obj.get("apiVersion") == rtype.api_version:
            return obj
        return {**obj, "apiVersion": rtype.api_version}

    # reads

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.get(self.key(rtype, namespace, name))
        if obj is None:
            raise errors.not_found(rtype.qualified, name)
        return self.present(rtype, obj)

    def select(
        self, rtype: ResourceType, namespace: str | None, matches: selectors.Matcher
    ) -> tuple[list[Obj], int]:
        scope = namespace if rtype.namespaced else None
        items = [
            self.present(rtype, o)
            for o in self.store.items(rtype.group, rtype.plural, scope)
            if matches(o)
        ]
        return items, self.store.revision

    def snapshot(
        self,
        rtype: ResourceType,
        namespace: str | None,
        matches: selectors.Matcher,
        revision: int,
    ) -> list[Obj]:
        """The objects as they were at `revision`, sorted by key; 410 when it is too old."""
        scope = namespace if rtype.namespaced else None
        state = {
            (o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
            for o in self.store.items(rtype.group, rtype.plural, scope)
        }
        for event in reversed(self.log.since(revision)):
            if (event.group, event.plural) != (rtype.group, rtype.plural) or (
                scope is not None and event.namespace != scope
            ):
                continue
            key = (event.namespace, event.obj["metadata"]["name"])
            if event.type == "ADDED":
                state.pop(key, None)
            elif event.old is not None:
                state[key] = event.old
        return [self.present(rtype, state[k]) for k in sorted(state) if matches(state[k])]

    # writes

    def _commit(self, rtype: ResourceType, obj: Obj, kind: str) -> Obj:
        revision = self.store.next_revision()
        obj["metadata"]["resourceVersion"] = str(revision)
        meta = obj["metadata"]
        key = self.key(rtype, meta.get("namespace", ""), meta["name"])
        old = self.store.get(key)
        self.store.put(key, obj)
        self.log.publish(Event(kind, obj, revision, rtype.group, rtype.plural, old))
        if (rtype.group, rtype.plural) == (CRD_GROUP, CRD_PLURAL):
            self.registry.serve_crd(obj)
        self._after_write(rtype, obj)
        return obj

    def _after_write(self, rtype: ResourceType, obj: Obj) -> None:
        """Keep Endpoints and EndpointSlices of the Services a pod or Service write touches."""
        which = (rtype.group, rtype.plural)
        if which not in (PODS, SERVICES):
            return
        namespace = obj["metadata"]["namespace"]
        services = self.store.items("", "services", namespace)
        if which == SERVICES:
            services = [s for s in services if s["metadata"]["name"] == obj["metadata"]["name"]]
        else:
            services = [s for s in services if endpoints.selects(s, obj)]
        if not services:
            return
        pods = self.store.items("", "pods", namespace)
        for service in services:
            for which, wanted in endpoints.children(service, pods):
                self._keep(self._type(which), wanted)

    def _keep(self, rtype: ResourceType, wanted: Obj) -> None:
        """Create or update a controller-owned object when its content differs."""
        meta = wanted["metadata"]
        current = self.store.get(self.key(rtype, meta["namespace"], meta["name"]))
        if current is None:
            with contextlib.suppress(errors.ApiError):  # a namespace being terminated
                self.create(rtype, meta["namespace"], wanted)
        elif endpoints.content(current) != endpoints.content(wanted):
            kept = {k: v for k, v in copy.deepcopy(current).items() if k in ("apiVersion", "kind")}
            kept["metadata"] = copy.deepcopy(current["metadata"])
            self._commit(rtype, {**kept, **endpoints.content(wanted)}, "MODIFIED")

    def _check_namespace(self, rtype: ResourceType, namespace: str) -> None:
        if not rtype.namespaced:
            return
        ns = self.store.get(("", "namespaces", "", namespace))
        if ns is None:
            raise errors.not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.ApiError(
                403,
                "Forbidden",
                f"{rtype.plural} is forbidden: unable to create new content in namespace "
                f"{namespace} because it is being terminated",
            )

    def _admit(
        self, rtype: ResourceType, obj: Obj, old: Obj | None, strict: bool
    ) -> tuple[Obj, list[str]]:
        if rtype.schema is not None:
            return validation.admit(rtype, obj, old, strict)
        which = (rtype.group, rtype.plural)
        defaults.simple_defaults(rtype.group, rtype.plural, obj)
        if which == JOBS:
            defaults.job_selector(obj)
        elif which == SERVICES:
            defaults.service(obj, lambda ip: self._ip_taken(ip, obj), old)
        elif which == NAMESPACES:
            defaults.namespace_label(obj)
        elif which == SECRETS:
            defaults.secret_data(obj)
        elif which == (CRD_GROUP, CRD_PLURAL):
            return validation.admit_crd(obj, now()), []
        return obj, []

    def _ip_taken(self, address: str, service: Obj) -> bool:
        uid = service["metadata"]["uid"]
        return any(
            (s.get("spec") or {}).get("clusterIP") == address and s["metadata"]["uid"] != uid
            for s in self.store.items("", "services")
        )

    def create(
        self,
        rtype: ResourceType,
        namespace: str,
        body: Obj,
        *,
        strict: bool = False,
        manager: str | None = None,
        operation: str = "Update",
        dry_run: bool = False,
    ) -> tuple[Obj, list[str]]:
        obj = copy.deepcopy(body)
        self._check_kind(rtype, obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
            namespace = ""
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(
                    rtype.kind,
                    rtype.group,
                    "",
                    [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: name or generateName is required",
                            "field": "metadata.name",
                        }
                    ],
                )
            suffix = "".join(random.choices(_NAME_CHARS, k=5))
            meta["name"] = f"{meta['generateName']}{suffix}"
        wrong = names.causes(rtype, str(meta["name"]))
        if wrong:
            raise errors.invalid(rtype.kind, rtype.group, str(meta["name"])[:253], wrong)
        self._check_namespace(rtype, namespace)
        key = self.key(rtype, namespace, meta["name"])
        if self.store.get(key) is not None:
            raise errors.already_exists(rtype.qualified, meta["name"])
        for field in (*_SERVER_FIELDS, "resourceVersion", "generation", "managedFields"):
            meta.pop(field, None)
        if rtype.has_status and (rtype.group, rtype.plural) != NAMESPACES:
            obj.pop("status", None)
        if (rtype.group, rtype.plural) == NAMESPACES:
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        meta["uid"] = str(uuid.uuid4())
        obj, warnings = self._admit(rtype, obj, None, strict)
        meta = obj["metadata"]
        meta["creationTimestamp"] = now()
        if rtype.generation:
            meta["generation"] = 1
        if manager and operation == "Apply":
            owned = apply.apply(None, body, manager, rtype.api_version, force=True)
            obj["metadata"]["managedFields"] = owned["metadata"]["managedFields"]
        elif manager:
            apply.record_update(None, obj, manager, rtype.api_version)
        if dry_run:
            return obj, warnings
        created = self._commit(rtype, obj, "ADDED")
        if (rtype.group, rtype.plural) == NAMESPACES:
            self._furnish(meta["name"])
        return created, warnings

    def _furnish(self, namespace: str) -> None:
        """What the ServiceAccount and root-CA publisher controllers put in a new namespace."""
        accounts = self._type(("", "serviceaccounts"))
        if self.store.get(self.key(accounts, namespace, "default")) is None:
            self.create(accounts, namespace, {"metadata": {"name": "default"}})
        config_maps = self._type(("", "configmaps"))
        if self.store.get(self.key(config_maps, namespace, ROOT_CA)) is None:
            # The local API serves plain HTTP on loopback: there is no CA to publish.
            body = {"metadata": {"name": ROOT_CA}, "data": {"ca.crt": ""}}
            self.create(config_maps, namespace, body)

    @staticmethod
    def _check_kind(rtype: ResourceType, obj: Obj) -> None:
        if not isinstance(obj, dict):
            raise errors.bad_request("the request body must be a JSON object")
        if obj.get("kind") not in (None, "", rtype.kind) or obj.get("apiVersion") not in (
            None,
            "",
            rtype.api_version,
        ):
            raise errors.bad_request(
                f"the API version in the data ({obj.get('apiVersion')}) does not match the "
                f"expected API version ({rtype.api_version}) or kind {obj.get('kind')!r} is not "
                f"{rtype.kind!r}"
            )
        obj["apiVersion"] = rtype.api_version
        obj["kind"] = rtype.kind

    def _spec(self, rtype: ResourceType, obj: Obj) -> Obj:
        skipped = ("metadata", "status") if rtype.has_status else ("metadata",)
        return {k: v for k, v in obj.items() if k not in skipped}

    def update(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        strict: bool = False,
        manager: str | None = None,
        managed: list[Obj] | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, list[str]]:
        """PUT semantics: replace the object (or only its status via `/status`).

        `managed` are the managedFields an apply computed; otherwise the update's
        `manager` takes over the fields it changed.
        """
        old = self.get(rtype, namespace, name)
        new = copy.deepcopy(body)
        self._check_kind(rtype, new)
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            meta = new["metadata"] = {}
        if meta.get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the "
                f"URL ({name})"
            )
        given = meta.get("resourceVersion")
        if given and given != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype.qualified, name)
        if subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        elif rtype.has_status:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        meta = new["metadata"]
        for field in (*_SERVER_FIELDS, "generation", "resourceVersion", "managedFields"):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
            else:
                meta.pop(field, None)
        if managed is not None:
            meta["managedFields"] = managed
        meta["name"] = name
        if rtype.namespaced:
            meta["namespace"] = old["metadata"]["namespace"]
        if (rtype.group, rtype.plural) == NAMESPACES:
            new["spec"] = old.get("spec", {})
        new, warnings = self._admit(rtype, new, old, strict)
        if not rtype.generation:
            new["metadata"].pop("generation", None)
        elif self._spec(rtype, new) != self._spec(rtype, old):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if new == old:
            return old, warnings
        if manager and managed is None:
            apply.record_update(old, new, manager, rtype.api_version, subresource)
            if new["metadata"].get("managedFields") == old["metadata"].get("managedFields") == []:
                new["metadata"].pop("managedFields")
        if dry_run:
            return new, warnings
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._remove(rtype, new), warnings
        return self._commit(rtype, new, "MODIFIED"), warnings

    def patch(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        body: Any,
        *,
        subresource: str | None = None,
        strict: bool = False,
        manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[Obj, list[str]]:
        key = self.key(rtype, namespace, name)
        current = self.store.get(key)
        if content_type == patch.APPLY_PATCH:
            if not manager:
                raise errors.invalid(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    [
                        {
                            "reason": "FieldValueRequired",
                            "field": "fieldManager",
                            "message": "Required value: is required for apply patch",
                        }
                    ],
                )
            if not isinstance(body, dict):
                raise errors.bad_request("apply patch must be an object")
            applied = copy.deepcopy(body)
            applied.get("metadata", {}).pop("managedFields", None)
            if current is None:
                applied.setdefault("metadata", {})["name"] = name
                return self.create(
                    rtype,
                    namespace,
                    applied,
                    strict=strict,
                    manager=manager,
                    operation="Apply",
                    dry_run=dry_run,
                )
            self._check_kind(rtype, applied)
            merged = apply.apply(
                self.present(rtype, current),
                applied,
                manager,
                rtype.api_version,
                force,
                subresource,
            )
            return self.update(
                rtype,
                namespace,
                name,
                merged,
                subresource=subresource,
                strict=strict,
                managed=merged["metadata"]["managedFields"],
                dry_run=dry_run,
            )
        if current is None:
            raise errors.not_found(rtype.qualified, name)
        patched = patch.patcher(content_type, custom=rtype.schema is not None)(
            self.present(rtype, current), body
        )
        if not isinstance(patched.get("metadata"), dict):
            raise errors.ApiError(422, "Invalid", "metadata must stay an object")
        # The patched metadata may still be the stored object's own dict: copy, then drop
        # the version unless the patch itself names one (then it is a precondition).
        patched["metadata"] = dict(patched["metadata"])
        if content_type != patch.JSON_PATCH and "resourceVersion" not in (
            body.get("metadata") or {}
        ):
            patched["metadata"].pop("resourceVersion", None)
        return self.update(
            rtype,
            namespace,
            name,
            patched,
            subresource=subresource,
            strict=strict,
            manager=manager,
            dry_run=dry_run,
        )

    # scale

    def scale(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.get(rtype, namespace, name)
        assert rtype.scale is not None
        selector: Any = None
        if rtype.scale.label_selector_path:
            selector = dotted(obj, rtype.scale.label_selector_path)
        if isinstance(selector, dict):
            selector = selectors.selector_string(selector)
        meta = obj["metadata"]
        status: Obj = {"replicas": dotted(obj, rtype.scale.status_replicas_path) or 0}
        if selector:
            status["selector"] = selector
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": dotted(obj, rtype.scale.spec_replicas_path) or 0},
            "status": status,
        }

    def set_scale(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        scale: Obj,
        manager: str | None = None,
    ) -> Obj:
        assert rtype.scale is not None
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                "Scale",
                "autoscaling",
                name,
                [
                    {
                        "reason": "FieldValueInvalid",
                        "field": "spec.replicas",
                        "message": f"Invalid value: {replicas!r}: must be a non-negative integer",
                    }
                ],
            )
        obj = copy.deepcopy(self.get(rtype, namespace, name))
        given = (scale.get("metadata") or {}).get("resourceVersion")
        if given and given != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype.qualified, name)
        _set_dotted(obj, rtype.scale.spec_replicas_path, replicas)
        self.update(rtype, namespace, name, obj, manager=manager)
        return self.scale(rtype, namespace, name)

    # deletion

    def delete(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        options: Obj | None = None,
        dry_run: bool = False,
    ) -> Obj:
        obj = self.get(rtype, namespace, name)
        if (rtype.group, rtype.plural) == NAMESPACES and name in _UNDELETABLE_NAMESPACES:
            raise errors.ApiError(
                403,
                "Forbidden",
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            )
        options = options or {}
        preconditions = options.get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) and preconditions[field] != obj["metadata"].get(field):
                raise errors.conflict(rtype.qualified, name)
        if dry_run:
            return obj
        policy = options.get("propagationPolicy")
        if policy == "Orphan":
            self._orphan(obj["metadata"]["uid"])
        grace = _grace_period(rtype, obj, options)
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            if grace == 0 and not meta.get("finalizers"):
                return self._remove(rtype, copy.deepcopy(obj))
            return obj
        contents = self._contents(rtype, obj)
        dependents = self._dependents(meta["uid"]) if policy == "Foreground" else []
        if not (meta.get("finalizers") or contents or dependents or grace):
            return self._remove(rtype, copy.deepcopy(obj))
        marked = copy.deepcopy(obj)
        marked["metadata"]["deletionTimestamp"] = now()
        marked["metadata"]["deletionGracePeriodSeconds"] = grace or 0
        if dependents:
            marked["metadata"]["finalizers"] = [*(meta.get("finalizers") or []), FOREGROUND]
        if (rtype.group, rtype.plural) == NAMESPACES:
            marked["status"] = {"phase": "Terminating"}
        marked = self._commit(rtype, marked, "MODIFIED")
        for content_type, item in contents:
            self._delete_quietly(content_type, item)
        for dependent_type, item in dependents:
            self._delete_quietly(dependent_type, item, {"propagationPolicy": "Foreground"})
        return self.present(rtype, self.store.get(self.key(rtype, namespace, name)) or marked)

    def _remove(self, rtype: ResourceType, obj: Obj) -> Obj:
        revision = self.store.next_revision()
        meta = obj["metadata"]
        meta["resourceVersion"] = str(revision)
        key = self.key(rtype, meta.get("namespace", ""), meta["name"])
        old = self.store.get(key)
        self.store.remove(key)
        self.log.publish(Event("DELETED", obj, revision, rtype.group, rtype.plural, old))
        which = (rtype.group, rtype.plural)
        if which == (CRD_GROUP, CRD_PLURAL):
            self.registry.forget_crd(meta["name"])
        elif which == SERVICES:
            self._delete_quietly(
                self._type(endpoints.ENDPOINTS),
                {"metadata": {"namespace": meta["namespace"], "name": meta["name"]}},
            )
        elif which == PODS:
            self._after_write(rtype, obj)
        self._collect_dependents(meta["uid"])
        self._finish_foreground(obj)
        self._finish_container(rtype, obj)
        return obj

    def _finish_foreground(self, removed: Obj) -> None:
        """Remove owners deleted in the foreground once their last dependent is gone."""
        for ref in removed["metadata"].get("ownerReferences") or []:
            key = self.store.key_of_uid(str(ref.get("uid")))
            owner = self.store.get(key) if key is not None else None
            if key is None or owner is None:
                continue
            finalizers = owner["metadata"].get("finalizers") or []
            if FOREGROUND not in finalizers or self._dependents(owner["metadata"]["uid"]):
                continue
            owner_type = self._type((key[0], key[1]))
            freed = copy.deepcopy(owner)
            rest = [f for f in finalizers if f != FOREGROUND]
            if rest:
                freed["metadata"]["finalizers"] = rest
                self._commit(owner_type, freed, "MODIFIED")
            else:
                freed["metadata"].pop("finalizers", None)
                self._remove(owner_type, freed)

    def _delete_quietly(self, rtype: ResourceType, obj: Obj, options: Obj | None = None) -> None:
        meta = obj["metadata"]
        if self.store.get(self.key(rtype, meta.get("namespace", ""), meta["name"])) is not None:
            self.delete(rtype, meta.get("namespace", ""), meta["name"], options)

    def _contents(self, rtype: ResourceType, obj: Obj) -> list[tuple[ResourceType, Obj]]:
        """What must go before `obj` can: a namespace's objects, or a CRD's resources."""
        name = obj["metadata"]["name"]
        if (rtype.group, rtype.plural) == NAMESPACES:
            found = []
            for key, item in self.store.everything():
                content_type = self.registry.storage_type(key[0], key[1])
                if key[2] == name and content_type is not None:
                    found.append((content_type, item))
            return found
        if (rtype.group, rtype.plural) == (CRD_GROUP, CRD_PLURAL):
            spec = obj["spec"]
            served = self.registry.storage_type(spec["group"], spec["names"]["plural"])
            if served is not None:
                return [(served, o) for o in self.store.items(served.group, served.plural)]
        return []

    def _finish_container(self, rtype: ResourceType, removed: Obj) -> None:
        """Remove a terminating namespace or CRD once its last content is gone."""
        meta = removed["metadata"]
        containers: list[tuple[ResourceType, Obj | None]] = []
        if rtype.namespaced:
            namespace = self.store.get(("", "namespaces", "", meta["namespace"]))
            containers.append((self._type(NAMESPACES), namespace))
        if rtype.schema is not None and rtype.crd_name:
            crd = self.store.get((CRD_GROUP, CRD_PLURAL, "", rtype.crd_name))
            containers.append((self._type((CRD_GROUP, CRD_PLURAL)), crd))
        for container_type, container in containers:
            if container is None or not container["metadata"].get("deletionTimestamp"):
                continue
            if container["metadata"].get("finalizers") or self._contents(container_type, container):
                continue
            self._remove(container_type, copy.deepcopy(container))

    def _dependents(self, uid: str) -> list[tuple[ResourceType, Obj]]:
        found = []
        for key, obj in self.store.everything():
            refs = obj["metadata"].get("ownerReferences") or []
            rtype = self.registry.storage_type(key[0], key[1])
            if rtype is not None and any(ref.get("uid") == uid for ref in refs):
                found.append((rtype, obj))
        return found

    def _collect_dependents(self, uid: str) -> None:
        """Background garbage collection: delete dependents that have no owner left."""
        for rtype, obj in self._dependents(uid):
            owners = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
            if not any(self.store.key_of_uid(str(r.get("uid"))) for r in owners):
                self._delete_quietly(rtype, obj)

    def _orphan(self, uid: str) -> None:
        for rtype, obj in self._dependents(uid):
            freed = copy.deepcopy(obj)
            refs = [r for r in freed["metadata"]["ownerReferences"] if r.get("uid") != uid]
            if refs:
                freed["metadata"]["ownerReferences"] = refs
            else:
                del freed["metadata"]["ownerReferences"]
            self._commit(rtype, freed, "MODIFIED")


def _grace_period(rtype: ResourceType, obj: Obj, options: Obj) -> int | None:
    """A pod's grace period as the pod strategy decides it; None for other kinds.

    Unscheduled and finished pods go at once; others wait for their kubelet, which stops
    the containers and deletes the pod again with a grace period of 0.
    """
    if (rtype.group, rtype.plural) != PODS:
        return None
    spec = obj.get("spec") or {}
    if not spec.get("nodeName") or (obj.get("status") or {}).get("phase") in (
        "Succeeded",
        "Failed",
    ):
        return 0
    given = options.get("gracePeriodSeconds")
    if isinstance(given, int) and not isinstance(given, bool):
        return max(given, 0)
    return int(spec.get("terminationGracePeriodSeconds", 30))

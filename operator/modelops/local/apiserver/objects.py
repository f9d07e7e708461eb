"""Kubernetes object semantics over the store: what a create, update, patch or delete means.

This is where metadata is stamped (uid, resourceVersion, generation, creationTimestamp,
namespace, generateName), optimistic concurrency is checked, `/status` and `/scale` are
split from the main resource, finalizers hold deletions, and owner references cascade
(background garbage collection). Namespaces and CRDs are deleted like the real server:
their contents first, then themselves. Every write is validated and copied before it
touches the store, so a failed request leaves nothing half-written.
"""

from __future__ import annotations

import copy
import datetime
import random
import uuid
from typing import Any

from . import errors, patch, selectors, validation
from .kinds import BUILTIN_DEFAULTS, CRD_GROUP, CRD_PLURAL, NAMESPACES, Registry, ResourceType
from .store import Key, Store
from .watch import Event, EventLog

Obj = dict[str, Any]

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SERVER_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_UNDELETABLE_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})


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

    # writes

    def _commit(self, rtype: ResourceType, obj: Obj, kind: str) -> Obj:
        revision = self.store.next_revision()
        obj["metadata"]["resourceVersion"] = str(revision)
        meta = obj["metadata"]
        self.store.put(self.key(rtype, meta.get("namespace", ""), meta["name"]), obj)
        self.log.publish(Event(kind, obj, revision, rtype.group, rtype.plural))
        if (rtype.group, rtype.plural) == (CRD_GROUP, CRD_PLURAL):
            self.registry.serve_crd(obj)
        return obj

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
        for path, value in BUILTIN_DEFAULTS.get((rtype.group, rtype.plural), ()):
            if dotted(obj, path) is None:
                _set_dotted(obj, path, copy.deepcopy(value))
        if (rtype.group, rtype.plural) == (CRD_GROUP, CRD_PLURAL):
            return validation.admit_crd(obj, now()), []
        return obj, []

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
        obj, warnings = self._admit(rtype, obj, None, strict)
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        meta["generation"] = 1
        if manager:
            _record_manager(obj, rtype, manager, operation)
        if dry_run:
            return obj, warnings
        return self._commit(rtype, obj, "ADDED"), warnings

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
        operation: str = "Update",
        dry_run: bool = False,
    ) -> tuple[Obj, list[str]]:
        """PUT semantics: replace the object (or only its status via `/status`)."""
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
        for field in (*_SERVER_FIELDS, "generation", "resourceVersion"):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
            else:
                meta.pop(field, None)
        meta["name"] = name
        if rtype.namespaced:
            meta["namespace"] = old["metadata"]["namespace"]
        if (rtype.group, rtype.plural) == NAMESPACES:
            new["spec"] = old.get("spec", {})
        new, warnings = self._admit(rtype, new, old, strict)
        if self._spec(rtype, new) != self._spec(rtype, old):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if new == old:
            return old, warnings
        if manager:
            _record_manager(new, rtype, manager, operation)
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
            merged = patch.strategic_merge(self.present(rtype, current), applied)
            return self.update(
                rtype,
                namespace,
                name,
                merged,
                subresource=subresource,
                strict=strict,
                manager=manager,
                operation="Apply",
                dry_run=dry_run,
            )
        if current is None:
            raise errors.not_found(rtype.qualified, name)
        base = self.present(rtype, current)
        if content_type == patch.JSON_PATCH:
            patched = patch.json_patch(base, body)
        elif not isinstance(body, dict):
            raise errors.bad_request("a merge patch must be a JSON object")
        elif content_type == patch.STRATEGIC_PATCH and rtype.schema is None:
            patched = patch.strategic_merge(base, body)
        elif content_type == patch.STRATEGIC_PATCH:
            raise errors.ApiError(
                415,
                "UnsupportedMediaType",
                "strategic merge patch is not supported for custom resources",
            )
        else:
            patched = patch.merge_patch(base, body)
        if not isinstance(patched.get("metadata"), dict):
            raise errors.ApiError(422, "Invalid", "metadata must stay an object")
        if (
            "resourceVersion" not in (body.get("metadata") or {} if isinstance(body, dict) else {})
            and content_type != patch.JSON_PATCH
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

    def set_scale(self, rtype: ResourceType, namespace: str, name: str, scale: Obj) -> Obj:
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
        self.update(rtype, namespace, name, obj)
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
        preconditions = (options or {}).get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) and preconditions[field] != obj["metadata"].get(field):
                raise errors.conflict(rtype.qualified, name)
        if dry_run:
            return obj
        if (options or {}).get("propagationPolicy") == "Orphan":
            self._orphan(obj["metadata"]["uid"])
        contents = self._contents(rtype, obj)
        if obj["metadata"].get("finalizers") or contents:
            if obj["metadata"].get("deletionTimestamp"):
                return obj
            marked = copy.deepcopy(obj)
            marked["metadata"]["deletionTimestamp"] = now()
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            if (rtype.group, rtype.plural) == NAMESPACES:
                marked["status"] = {"phase": "Terminating"}
            marked = self._commit(rtype, marked, "MODIFIED")
            for content_type, item in contents:
                self._delete_quietly(content_type, item)
            return self.present(rtype, self.store.get(self.key(rtype, namespace, name)) or marked)
        return self._remove(rtype, copy.deepcopy(obj))

    def _remove(self, rtype: ResourceType, obj: Obj) -> Obj:
        revision = self.store.next_revision()
        meta = obj["metadata"]
        meta["resourceVersion"] = str(revision)
        self.store.remove(self.key(rtype, meta.get("namespace", ""), meta["name"]))
        self.log.publish(Event("DELETED", obj, revision, rtype.group, rtype.plural))
        if (rtype.group, rtype.plural) == (CRD_GROUP, CRD_PLURAL):
            self.registry.forget_crd(meta["name"])
        self._collect_dependents(meta["uid"])
        self._finish_container(rtype, obj)
        return obj

    def _delete_quietly(self, rtype: ResourceType, obj: Obj) -> None:
        meta = obj["metadata"]
        if self.store.get(self.key(rtype, meta.get("namespace", ""), meta["name"])) is not None:
            self.delete(rtype, meta.get("namespace", ""), meta["name"])

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
        if rtype.namespaced:
            container_type = self._type(NAMESPACES)
            container = self.store.get(("", "namespaces", "", meta["namespace"]))
        elif rtype.schema is not None and rtype.crd_name:
            container_type = self._type((CRD_GROUP, CRD_PLURAL))
            container = self.store.get((CRD_GROUP, CRD_PLURAL, "", rtype.crd_name))
        else:
            return
        if container is None or not container["metadata"].get("deletionTimestamp"):
            return
        if container["metadata"].get("finalizers") or self._contents(container_type, container):
            return
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


def _record_manager(obj: Obj, rtype: ResourceType, manager: str, operation: str) -> None:
    """Keep one minimal managedFields entry per manager and operation."""
    entries = [
        e
        for e in obj["metadata"].get("managedFields") or []
        if (e.get("manager"), e.get("operation")) != (manager, operation)
    ]
    entries.append(
        {
            "manager": manager,
            "operation": operation,
            "apiVersion": rtype.api_version,
            "time": now(),
            "fieldsType": "FieldsV1",
            "fieldsV1": {},
        }
    )
    obj["metadata"]["managedFields"] = entries

"""OpenAPI v3 documents, as kubectl fetches them for validation, apply and explain.

kubectl 1.32 reads `/openapi/v3` (an index of group/versions), then `/openapi/v3/apis/G/V`.
From a PATCH operation tagged with the kind's group/version/kind that lists the
`fieldValidation` parameter it concludes the server validates fields itself (so `apply`
needs no client-side schema); from its request body types it picks strategic merge (built-ins)
or JSON merge (custom resources); `explain` walks `components.schemas`.

Built-in schemas come from the real Kubernetes definitions shipped in the
`kubernetes-validate` package when it is installed, else from minimal open schemas.
Custom resources use their CRD's openAPIV3Schema, so field descriptions show in explain.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from typing import Any

import orjson

from .kinds import Registry, ResourceType

Obj = dict[str, Any]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_OBJECT_META = _META + "ObjectMeta"
_LIST_META = _META + "ListMeta"
_REF = "#/components/schemas/"
_DEFINITIONS = "kubernetes-json-schema/v1.32.0-local/_definitions.json"
_FALLBACK: dict[str, Obj] = {
    _OBJECT_META: {
        "description": "Standard object's metadata.",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {
            "name": {"type": "string", "description": "Name must be unique within a namespace."},
            "namespace": {"type": "string", "description": "Namespace of the object."},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    _LIST_META: {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
_PATCH_SCHEMA = {
    "type": "object",
    "description": "Patch is provided to give a concrete name and type to the Kubernetes "
    "PATCH request body.",
}


def _convert(node: Any) -> Any:
    """JSON-schema flavoured definitions as OpenAPI v3 (refs, nullable type lists)."""
    if isinstance(node, list):
        return [_convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: Obj = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = _REF + str(value).rsplit("/", 1)[-1]
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if len(kinds) == 1:
                out[key] = kinds[0]
        elif key == "oneOf" and all(isinstance(v, dict) and set(v) == {"type"} for v in value):
            out["x-kubernetes-int-or-string"] = True
        elif key == "properties":
            out[key] = {k: _convert(v) for k, v in value.items()}
        else:
            out[key] = _convert(value)
    return out


@functools.cache
def _builtin_definitions() -> dict[str, Obj]:
    try:
        source = importlib.resources.files("kubernetes_validate").joinpath(_DEFINITIONS)
        raw = orjson.loads(source.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    return {name: _convert(schema) for name, schema in raw["$defs"].items()}


def _gvk(rtype: ResourceType) -> Obj:
    return {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}


def _builtin_name(rtype: ResourceType, definitions: dict[str, Obj]) -> str | None:
    for name, schema in definitions.items():
        if _gvk(rtype) in schema.get("x-kubernetes-group-version-kind", []):
            return name
    return None


def _schema_name(rtype: ResourceType) -> str:
    reversed_group = ".".join(reversed(rtype.group.split("."))) if rtype.group else "core"
    return f"{reversed_group}.{rtype.version}.{rtype.kind}"


def _custom_schema(rtype: ResourceType) -> Obj:
    schema = dict(rtype.schema or {})
    properties = dict(schema.get("properties") or {})
    properties["apiVersion"] = {
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of "
        "an object.",
    }
    properties["kind"] = {
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object "
        "represents.",
    }
    properties["metadata"] = {
        "description": "Standard object's metadata.",
        "allOf": [{"$ref": _REF + _OBJECT_META}],
    }
    schema["properties"] = properties
    schema["type"] = "object"
    schema["x-kubernetes-group-version-kind"] = [_gvk(rtype)]
    return schema


def _closure(names: list[str], definitions: dict[str, Obj]) -> dict[str, Obj]:
    found: dict[str, Obj] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in found or name not in definitions:
            continue
        found[name] = definitions[name]
        pending.extend(_refs(definitions[name]))
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    if not isinstance(node, dict):
        return []
    own = [str(node["$ref"]).removeprefix(_REF)] if "$ref" in node else []
    return own + [r for v in node.values() for r in _refs(v)]


def _parameter(name: str, where: str = "query") -> Obj:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": "string", "uniqueItems": True},
        "description": name,
    }


def _operation(rtype: ResourceType, action: str, schema_ref: str, body: list[str] | None) -> Obj:
    operation: Obj = {
        "operationId": f"{action}{rtype.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(rtype),
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": schema_ref}}},
            }
        },
    }
    if body is not None:
        operation["parameters"] = [
            _parameter("dryRun"),
            _parameter("fieldManager"),
            _parameter("fieldValidation"),
        ]
        target = _REF + _META + "Patch" if action == "patch" else schema_ref
        operation["requestBody"] = {
            "content": {t: {"schema": {"$ref": target}} for t in body},
            "required": True,
        }
    return operation


def _paths(rtype: ResourceType, object_ref: str, list_ref: str) -> dict[str, Obj]:
    prefix = f"/apis/{rtype.group}/{rtype.version}" if rtype.group else f"/api/{rtype.version}"
    scoped = f"{prefix}/namespaces/{{namespace}}" if rtype.namespaced else prefix
    collection = f"{scoped}/{rtype.plural}"
    patch_types = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
    ]
    if rtype.schema is None:
        patch_types.append("application/strategic-merge-patch+json")
    writes = ["application/json", "application/yaml"]
    item_ops = {
        "get": _operation(rtype, "get", object_ref, None),
        "put": _operation(rtype, "put", object_ref, writes),
        "patch": _operation(rtype, "patch", object_ref, patch_types),
        "delete": _operation(rtype, "delete", object_ref, None),
    }
    params = [_parameter("name", "path")] + (
        [_parameter("namespace", "path")] if rtype.namespaced else []
    )
    paths = {
        collection: {
            "get": _operation(rtype, "list", list_ref, None),
            "post": _operation(rtype, "post", object_ref, writes),
            "parameters": params[1:],
        },
        f"{collection}/{{name}}": {**item_ops, "parameters": params},
    }
    if rtype.namespaced:
        paths[f"{prefix}/{rtype.plural}"] = {"get": _operation(rtype, "list", list_ref, None)}
    return paths


def _list_schema(rtype: ResourceType, object_ref: str) -> Obj:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": object_ref}},
            "metadata": {"allOf": [{"$ref": _REF + _LIST_META}]},
        },
        "x-kubernetes-group-version-kind": [{**_gvk(rtype), "kind": rtype.list_kind}],
    }


@functools.lru_cache(maxsize=64)
def _document(registry: Registry, generation: int, group: str, version: str) -> bytes | None:
    del generation  # part of the cache key only
    types = registry.in_group_version(group, version)
    if not types:
        return None
    definitions = _builtin_definitions() or _FALLBACK
    schemas: dict[str, Obj] = {}
    paths: dict[str, Obj] = {}
    for rtype in types:
        name = _builtin_name(rtype, definitions) if rtype.schema is None else None
        if name is None:
            name = _schema_name(rtype)
            schemas[name] = (
                _custom_schema(rtype)
                if rtype.schema is not None
                else {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "x-kubernetes-group-version-kind": [_gvk(rtype)],
                    "properties": {"metadata": {"allOf": [{"$ref": _REF + _OBJECT_META}]}},
                }
            )
            list_name = name + "List"
            schemas[list_name] = _list_schema(rtype, _REF + name)
        else:
            list_name = name + "List"
        paths.update(_paths(rtype, _REF + name, _REF + list_name))
    wanted = [*schemas, *(n for n in (_builtin_name(t, definitions) for t in types) if n)]
    wanted += [n + "List" for n in wanted] + [_OBJECT_META, _LIST_META]
    resolved = {**_closure(wanted, {**definitions, **schemas}), **schemas}
    resolved[_META + "Patch"] = _PATCH_SCHEMA
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": resolved},
    }
    return orjson.dumps(document)


def group_version_document(registry: Registry, path: str) -> Obj | None:
    """The document for `api/v1` or `apis/G/V`, or None if nothing is served there."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        raw = _document(registry, registry.generation, "", parts[1])
    elif parts[:1] == ["apis"] and len(parts) == 3:
        raw = _document(registry, registry.generation, parts[1], parts[2])
    else:
        return None
    return orjson.loads(raw) if raw is not None else None


def index(registry: Registry) -> Obj:
    """`/openapi/v3`: every served group/version with a content-hashed URL."""
    paths: Obj = {}
    for group, versions in registry.group_versions().items():
        for version in versions:
            key = f"apis/{group}/{version}" if group else f"api/{version}"
            raw = _document(registry, registry.generation, group, version)
            digest = hashlib.sha512(raw or b"").hexdigest()[:32].upper()
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}

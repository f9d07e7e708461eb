"""Turn a pydantic model's JSON Schema into a structural OpenAPI v3 schema for a CRD.

Kubernetes wants every node typed, no ``$ref``, no ``anyOf`` with ``null`` and no
``title``; it keeps ``description``, ``default``, ``enum``, bounds, ``pattern`` and
the ``x-kubernetes-*`` extensions. This module is pure: a dict in, a dict out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

#: JSON Schema keywords carried over (exclusive bounds are rewritten for OpenAPI v3.0).
_KEPT = (
    "description",
    "default",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)

Schema = dict[str, Any]


def openapi_schema(model: type[BaseModel]) -> Schema:
    """The structural schema of ``model`` as it appears on the wire (camelCase)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    definitions: dict[str, Schema] = raw.pop("$defs", {})
    return _convert(raw, definitions)


def _resolve(node: Schema, definitions: dict[str, Schema]) -> Schema:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = definitions[ref.rsplit("/", 1)[-1]]
    # Keywords beside the $ref (a field's description, default) win over the definition's.
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _convert(node: Schema, definitions: dict[str, Schema]) -> Schema:
    node = _resolve(node, definitions)
    variants = node.get("anyOf")
    if variants is not None:
        non_null = [v for v in variants if v.get("type") != "null"]
        if len(non_null) != 1:
            raise ValueError(f"cannot express a union of {len(non_null)} types structurally")
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return _convert({**_resolve(non_null[0], definitions), **rest}, definitions)

    out: Schema = {}
    kind = node.get("type")
    if kind is None and "enum" in node:
        kind = "string"
    if kind is not None:
        out["type"] = kind
    for key in _KEPT:
        if key in node and not (key == "default" and node[key] is None):
            out[key] = node[key]
    # OpenAPI v3.0 (what Kubernetes speaks) has boolean exclusive bounds beside the bound.
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if exclusive in out:
            out[bound] = out[exclusive]
            out[exclusive] = True
    for key, value in node.items():
        if key.startswith("x-kubernetes-"):
            out[key] = value

    if kind == "object":
        properties = node.get("properties")
        if properties:
            out["properties"] = {
                name: _convert(child, definitions) for name, child in properties.items()
            }
            if node.get("required"):
                out["required"] = list(node["required"])
        elif node.get("x-kubernetes-preserve-unknown-fields"):
            pass
        else:
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                out["additionalProperties"] = _convert(extra, definitions)
            else:
                out["x-kubernetes-preserve-unknown-fields"] = True
    elif kind == "array":
        out["items"] = _convert(node.get("items", {}), definitions)
    elif kind is None:
        raise ValueError(f"schema node without a type: {sorted(node)}")
    return out

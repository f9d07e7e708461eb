"""The four PATCH flavours Kubernetes accepts, applied to plain JSON objects.

- merge-patch (RFC 7386): maps merge, null deletes, lists replace.
- json-patch (RFC 6902): add/remove/replace/move/copy/test; any failed op, including a
  failed `test`, is a 422 with nothing applied.
- strategic-merge-patch: merge-patch plus lists of known kinds (containers, env, ports,
  volumes, conditions, ...) merged by their key, and the `$patch`, `$setElementOrder`,
  `$retainKeys` and `$deleteFromPrimitiveList` directives kubectl sends. The merge keys come
  from a table rather than the full OpenAPI schema, which covers the kinds we serve.
- apply-patch (server-side apply) lives in `apply`, with field ownership.

Each of the first three is a `Patcher`, chosen by content type with `patcher`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import errors

Obj = dict[str, Any]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)

MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "ports": ("containerPort", "port"),
    "imagePullSecrets": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
}
_PRIMITIVE_SETS = frozenset({"finalizers"})

Patcher = Callable[[Obj, Any], Obj]
"""(the object as stored, the decoded patch body) -> the patched object."""


def _merge_patcher(target: Obj, body: Any) -> Obj:
    if not isinstance(body, dict):
        raise errors.bad_request("a merge patch must be a JSON object")
    patched: Obj = merge_patch(target, body)
    return patched


def _strategic_patcher(target: Obj, body: Any) -> Obj:
    if not isinstance(body, dict):
        raise errors.bad_request("a strategic merge patch must be a JSON object")
    patched: Obj = strategic_merge(target, body)
    return patched


def _no_strategic_patcher(target: Obj, body: Any) -> Obj:
    raise errors.ApiError(
        415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources"
    )


def patcher(content_type: str, custom: bool) -> Patcher:
    """The patcher for a PATCH's content type (custom resources take no strategic merge)."""
    if content_type == STRATEGIC_PATCH:
        return _no_strategic_patcher if custom else _strategic_patcher
    if content_type == JSON_PATCH:
        return json_patch
    return _merge_patcher


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch; returns a new value, never mutates `target`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    """Strategic merge patch with table-driven list merge keys."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith(("$setElementOrder/", "$retainKeys", "$patch")):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in value]
            continue
        if value is None or (isinstance(value, dict) and value.get("$patch") == "delete"):
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS:
            result[key] = _merge_list(result.get(key) or [], value, MERGE_KEYS[key])
        elif isinstance(value, list) and key in _PRIMITIVE_SETS:
            current = list(result.get(key) or [])
            result[key] = current + [v for v in value if v not in current]
        else:
            result[key] = strategic_merge(result.get(key), value)
    return result


def _merge_list(current: list[Any], patch: list[Any], candidates: tuple[str, ...]) -> list[Any]:
    items = [x for x in patch + current if isinstance(x, dict)]
    key = next((k for k in candidates if any(k in item for item in items)), None)
    if key is None or not all(isinstance(x, dict) for x in patch):
        return copy.deepcopy(patch)
    merged = list(current)
    for item in patch:
        index = next(
            (
                i
                for i, old in enumerate(merged)
                if isinstance(old, dict) and old.get(key) == item.get(key)
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(strategic_merge({}, item))
        else:
            merged[index] = strategic_merge(merged[index], item)
    return merged


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def _add(doc: Any, parts: list[str], value: Any, replace: bool) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
            return doc
        index = int(last)
        if replace:
            parent[index] = value
        elif 0 <= index <= len(parent):
            parent.insert(index, value)
        else:
            raise IndexError(index)
    elif isinstance(parent, dict):
        if replace and last not in parent:
            raise KeyError(last)
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        raise KeyError("cannot remove the whole document")
    parent = _resolve(doc, parts[:-1])
    if isinstance(parent, list):
        return parent.pop(int(parts[-1]))
    if isinstance(parent, dict):
        return parent.pop(parts[-1])
    raise KeyError(parts[-1])


def json_patch(target: Obj, operations: Any) -> Obj:
    """RFC 6902; a malformed or failing operation raises 422 and leaves `target` untouched."""
    if not isinstance(operations, list):
        raise errors.bad_request("json patch must be a list of operations")
    doc: Any = copy.deepcopy(target)
    for number, op in enumerate(operations):
        try:
            if not isinstance(op, dict):
                raise ValueError("operation is not an object")
            kind = op.get("op")
            parts = _pointer(op["path"])
            if kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op["value"]), replace=False)
            elif kind == "remove":
                _remove(doc, parts)
            elif kind == "replace":
                doc = _add(doc, parts, copy.deepcopy(op["value"]), replace=True)
            elif kind in ("move", "copy"):
                source = _pointer(op["from"])
                value = (
                    _remove(doc, source) if kind == "move" else copy.deepcopy(_resolve(doc, source))
                )
                doc = _add(doc, parts, value, replace=False)
            elif kind == "test":
                if _resolve(doc, parts) != op.get("value"):
                    raise ValueError(f"testing value {op['path']} failed")
            else:
                raise ValueError(f"unknown operation {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise errors.ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our "
                f"request: json patch operation {number} ({op!r}) failed: {exc}",
            ) from exc
    if not isinstance(doc, dict):
        raise errors.ApiError(422, "Invalid", "json patch must leave an object")
    return doc

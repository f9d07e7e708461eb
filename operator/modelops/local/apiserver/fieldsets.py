"""Field sets: which fields of an object a manager owns, in the `fieldsV1` form Kubernetes uses.

A path is a tuple of elements as `managedFields[].fieldsV1` spells them: `f:spec` for a
map field, `k:{"name":"main"}` for an item of a list keyed by its key fields
(containers by name, ports by containerPort or port, env by name, conditions by type),
`v:"x"` for an item of a set (finalizers), and `.` for a keyed item itself. Other
lists are atomic: the list is one leaf, owned and replaced whole. Which list is keyed
comes from the field's name (the table strategic merge uses), not from the schema:
enough for the kinds and CRDs served here.
"""

from __future__ import annotations

import json
from typing import Any

from . import patch

Obj = dict[str, Any]
Path = tuple[str, ...]

_SETS = frozenset({"finalizers"})
_SKIPPED_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "generateName",
        "selfLink",
    }
)
_MISSING = object()


def item_key(field: str | None, item: Any) -> str | None:
    """The `k:` element of a keyed list item, or None when the list is not keyed."""
    candidates = patch.MERGE_KEYS.get(field or "")
    if not candidates or not isinstance(item, dict):
        return None
    name = next((k for k in candidates if k in item), None)
    if name is None:
        return None
    return "k:" + json.dumps({name: item[name]}, separators=(",", ":"))


def list_kind(field: str | None, items: list[Any]) -> str:
    if field in _SETS and all(not isinstance(i, (dict, list)) for i in items):
        return "set"
    if items and all(item_key(field, i) is not None for i in items):
        return "map"
    if not items and field in patch.MERGE_KEYS:
        return "map"
    return "atomic"


def of(obj: Obj) -> set[Path]:
    """Every leaf path of `obj` (server-owned metadata, apiVersion and kind left out)."""
    paths: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict):
            for meta_key, meta_value in value.items():
                if meta_key not in _SKIPPED_META:
                    _walk(meta_value, ("f:metadata", f"f:{meta_key}"), meta_key, paths)
            continue
        _walk(value, (f"f:{key}",), key, paths)
    return paths


def _walk(value: Any, path: Path, field: str | None, paths: set[Path]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _walk(child, (*path, f"f:{key}"), key, paths)
        return
    if isinstance(value, list) and value:
        kind = list_kind(field, value)
        if kind == "set":
            paths.update((*path, "v:" + json.dumps(v, separators=(",", ":"))) for v in value)
            return
        if kind == "map":
            for item in value:
                item_path = (*path, str(item_key(field, item)))
                paths.add((*item_path, "."))
                for key, child in item.items():
                    _walk(child, (*item_path, f"f:{key}"), key, paths)
            return
    paths.add(path)


def to_v1(paths: set[Path]) -> Obj:
    """`paths` as the nested `fieldsV1` object."""
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    """The leaf paths of a `fieldsV1` object."""
    if not isinstance(tree, dict) or not tree:
        return {prefix} if prefix else set()
    paths: set[Path] = set()
    for element, child in tree.items():
        paths |= from_v1(child, (*prefix, element))
    return paths


def _step(value: Any, element: str, field: str | None) -> Any:
    if element.startswith("f:"):
        return value.get(element[2:], _MISSING) if isinstance(value, dict) else _MISSING
    if element.startswith("k:") and isinstance(value, list):
        return next((i for i in value if item_key(field, i) == element), _MISSING)
    if element.startswith("v:") and isinstance(value, list):
        wanted = json.loads(element[2:])
        return wanted if wanted in value else _MISSING
    return _MISSING


def value_at(obj: Obj, path: Path) -> Any:
    """The value at `path` (a keyed item for `.`), or a sentinel when absent."""
    value: Any = obj
    field: str | None = None
    for element in path:
        if element == ".":
            return value
        value = _step(value, element, field)
        if value is _MISSING:
            return _MISSING
        if element.startswith("f:"):
            field = element[2:]
    return value


def same_value(left: Obj, right: Obj, path: Path) -> bool:
    return bool(value_at(left, path) == value_at(right, path))


def remove(obj: Obj, path: Path) -> None:
    """Delete what `path` names from `obj` in place; emptied maps are removed too."""
    if path and path[-1] == ".":
        path = path[:-1]
    parents: list[tuple[Any, str, str | None]] = []
    value: Any = obj
    field: str | None = None
    for element in path:
        parents.append((value, element, field))
        value = _step(value, element, field)
        if value is _MISSING:
            return
        if element.startswith("f:"):
            field = element[2:]
    for container, element, parent_field in reversed(parents):
        if element.startswith("f:") and isinstance(container, dict):
            container.pop(element[2:], None)
        elif element.startswith("k:") and isinstance(container, list):
            container[:] = [i for i in container if item_key(parent_field, i) != element]
        elif element.startswith("v:") and isinstance(container, list):
            container.remove(json.loads(element[2:]))
        if container or container is obj:
            return


def describe(path: Path) -> str:
    """`.spec.template.spec.containers[name="main"].image`, as conflict messages name it."""
    text = ""
    for element in path:
        if element.startswith("f:"):
            text += "." + element[2:]
        elif element.startswith("k:"):
            key = json.loads(element[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]"
        elif element.startswith("v:"):
            text += f"[{element[2:]}]"
    return text

"""Server-side apply and field ownership: who manages which field, and what a write does to it.

Every write records its manager's fields in `metadata.managedFields` (fieldsV1). An apply
(`application/apply-patch+yaml`) by manager M:

1. conflicts (409, one cause per field) when it sets a field another manager owns to a
   different value, unless `force=true`, which takes the field over;
2. merges its configuration into the live object: maps field by field, keyed lists
   (containers by name, ports, env, conditions) item by item, sets by value, atomic
   lists and scalars replaced;
3. removes fields M applied before and no longer applies, unless another manager owns
   them too;
4. leaves M's Apply entry owning exactly the applied fields.

An update (PUT or a non-apply PATCH) by manager N takes over the fields it changed and
drops, for every manager, the fields it removed. The manager defaults to the client's
User-Agent up to its first `/`, as Kubernetes does.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

from . import errors, fieldsets
from .fieldsets import Path

Obj = dict[str, Any]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(live: Any, applied: Any, field: str | None = None) -> Any:
    """The structured merge of an applied configuration into the live value."""
    if isinstance(live, dict) and isinstance(applied, dict):
        result = dict(live)
        for key, value in applied.items():
            result[key] = merge(live.get(key), value, key)
        return result
    if isinstance(live, list) and isinstance(applied, list):
        kind = fieldsets.list_kind(field, applied + live)
        if kind == "set":
            return live + [v for v in applied if v not in live]
        if kind == "map":
            result_list = list(live)
            for item in applied:
                key = fieldsets.item_key(field, item)
                index = next(
                    (
                        i
                        for i, old in enumerate(result_list)
                        if fieldsets.item_key(field, old) == key
                    ),
                    None,
                )
                if index is None:
                    result_list.append(copy.deepcopy(item))
                else:
                    result_list[index] = merge(result_list[index], item)
            return result_list
    return copy.deepcopy(applied)


def entries(obj: Obj) -> list[Obj]:
    return list(obj.get("metadata", {}).get("managedFields") or [])


def _owned(entry: Obj) -> set[Path]:
    return fieldsets.from_v1(entry.get("fieldsV1") or {})


def _entry(
    manager: str, operation: str, api_version: str, paths: set[Path], sub: str | None
) -> Obj:
    entry: Obj = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": _now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fieldsets.to_v1(paths),
    }
    if sub:
        entry["subresource"] = sub
    return entry


def _same_entry(entry: Obj, manager: str, operation: str, sub: str | None) -> bool:
    return (entry.get("manager"), entry.get("operation"), entry.get("subresource")) == (
        manager,
        operation,
        sub,
    )


def _rebuild(
    kept: list[tuple[Obj, set[Path]]], mine: Obj | None, old_entries: list[Obj]
) -> list[Obj]:
    """Entries with their new sets; unchanged ones keep their time, empty ones go."""
    result = []
    for entry, paths in kept:
        if not paths:
            continue
        if paths != _owned(entry):
            entry = {**entry, "fieldsV1": fieldsets.to_v1(paths), "time": _now()}
        result.append(entry)
    if mine is not None:
        previous = next(
            (
                e
                for e in old_entries
                if _same_entry(e, mine["manager"], mine["operation"], mine.get("subresource"))
            ),
            None,
        )
        if previous is not None and _owned(previous) == _owned(mine):
            mine = previous
        if _owned(mine):
            result.append(mine)
    return result


def conflict_error(kind: str, name: str, conflicts: list[tuple[str, str, Path]]) -> errors.ApiError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{manager}" using {api_version}',
            "field": fieldsets.describe(path),
        }
        for manager, api_version, path in conflicts
    ]
    lines = "\n".join(f"- {c['message']}: {c['field']}" for c in causes)
    plural = "conflict" if len(causes) == 1 else "conflicts"
    return errors.ApiError(
        409,
        "Conflict",
        f"Apply failed with {len(causes)} {plural}: {lines.lstrip('- ')}"
        if len(causes) == 1
        else f"Apply failed with {len(causes)} {plural}:\n{lines}",
        {"name": name, "kind": kind, "causes": causes},
    )


def apply(
    live: Obj | None,
    applied: Obj,
    manager: str,
    api_version: str,
    force: bool,
    subresource: str | None = None,
) -> Obj:
    """The object after `manager` applies `applied` to `live` (None: it does not exist)."""
    base: Obj = copy.deepcopy(live) if live is not None else {}
    old_entries = entries(base)
    applied_paths = fieldsets.of(applied)
    previous: set[Path] = set()
    others: list[tuple[Obj, set[Path]]] = []
    for entry in old_entries:
        if _same_entry(entry, manager, "Apply", subresource):
            previous = _owned(entry)
        else:
            others.append((entry, _owned(entry)))
    conflicts = [
        (str(entry.get("manager")), str(entry.get("apiVersion")), path)
        for entry, owned in others
        for path in sorted(applied_paths & owned)
        if path[-1] != "." and not fieldsets.same_value(base, applied, path)
    ]
    if conflicts and not force:
        meta = applied.get("metadata") or {}
        raise conflict_error(str(applied.get("kind", "")), str(meta.get("name", "")), conflicts)
    if force:
        taken = {path for _, _, path in conflicts}
        others = [(entry, owned - taken) for entry, owned in others]
    merged: Obj = merge(base, applied)
    still_owned = set().union(*(owned for _, owned in others)) if others else set()
    # Whole keyed items first (their `.`), then what is left of the others.
    for path in sorted(previous - applied_paths, key=lambda p: (p[-1] != ".", len(p))):
        if path not in still_owned:
            fieldsets.remove(merged, path)
    mine = _entry(manager, "Apply", api_version, applied_paths, subresource)
    merged.setdefault("metadata", {})["managedFields"] = _rebuild(others, mine, old_entries)
    return merged


def record_update(
    old: Obj | None, new: Obj, manager: str, api_version: str, subresource: str | None = None
) -> None:
    """Give `manager` the fields its update changed; forget the ones it removed."""
    old_obj = old or {}
    old_entries = entries(old_obj)
    before = fieldsets.of(old_obj) if old else set()
    after = fieldsets.of(new)
    changed = {p for p in after if p not in before or not fieldsets.same_value(old_obj, new, p)}
    removed = before - after
    kept: list[tuple[Obj, set[Path]]] = []
    mine_paths: set[Path] = set()
    for entry in old_entries:
        owned = _owned(entry)
        if _same_entry(entry, manager, "Update", subresource):
            mine_paths = owned
            continue
        kept.append((entry, owned - changed - removed))
    mine_paths = (mine_paths | changed) - removed
    mine = _entry(manager, "Update", api_version, mine_paths, subresource)
    new.setdefault("metadata", {})["managedFields"] = _rebuild(kept, mine, old_entries)

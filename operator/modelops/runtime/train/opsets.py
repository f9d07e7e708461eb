"""Operator versions for skl2onnx, looked up one operator at a time.

Each conversion, skl2onnx builds a table of every ONNX operator's versions by walking
``onnx.defs.get_all_schemas_with_history()``, ~700 schemas turned into Python objects. That
takes ~15 ms, while a converter then asks about a handful of operators. ``lazy_versions``
answers those questions from ``onnx.defs.get_schema`` as they come, with the same answers:
``versions`` is held to the full table for every operator in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from onnx import defs
from skl2onnx.common._container import ModelComponentContainer

#: Above every operator set ONNX has defined, so the newest version comes first.
_NEWEST = 2**31 - 1


@cache
def versions(domain: str, op_type: str) -> list[int] | None:
    """Every ``since_version`` of the operator, ascending; None when ONNX has no such operator."""
    found: list[int] = []
    limit = _NEWEST
    while limit >= 1:
        try:
            since = defs.get_schema(op_type, limit, domain).since_version
        except defs.SchemaError:
            break
        found.append(since)
        limit = since - 1
    return sorted(found) or None


class _Table(dict[tuple[str, str], list[int]]):
    """The mapping skl2onnx reads with ``get((domain, op_type))``, filled on demand."""

    def __missing__(self, key: tuple[str, str]) -> list[int]:
        found = versions(*key)
        if found is None:
            raise KeyError(key)
        self[key] = found
        return found

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


def _build(container: Any) -> None:
    container._op_versions = _Table()


@contextmanager
def lazy_versions() -> Iterator[None]:
    """Within the block, skl2onnx conversions look operator versions up lazily."""
    original = getattr(ModelComponentContainer, "_build_op_version", None)
    if original is None:  # a skl2onnx without the eager table: nothing to replace
        yield
        return
    ModelComponentContainer._build_op_version = _build
    try:
        yield
    finally:
        ModelComponentContainer._build_op_version = original

"""Artifact URIs as strings: joined without touching any store (no fsspec here).

The operator renders where pods read and write; only the pods open those URIs
(``runtime.artifacts``).
"""

from __future__ import annotations


def join(base: str, *parts: str) -> str:
    """Join path parts onto a URI with single slashes."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])

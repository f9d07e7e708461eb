"""Version numbers and which version a deployment serves."""

from __future__ import annotations

from collections.abc import Iterable


def next_version(existing: Iterable[int]) -> int:
    """The number after the highest existing one (1 for a new model)."""
    return max(existing, default=0) + 1

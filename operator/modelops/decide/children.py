"""Whether a live child object already says everything its rendered form says."""

from __future__ import annotations

from typing import Any


def covers(live: Any, rendered: Any) -> bool:
    """True when every field of ``rendered`` has the same value in ``live``.

    Fields the server adds (defaults, status, managedFields) are ignored, so an
    unchanged child is never re-applied and never wakes its watchers.
    """
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            return False
        return all(covers(live.get(key), value) for key, value in rendered.items())
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return False
        return all(covers(a, b) for a, b in zip(live, rendered, strict=True))
    if isinstance(rendered, int | float) and isinstance(live, int | float):
        return float(live) == float(rendered)
    return bool(live == rendered)

"""Durations as Kubernetes and Prometheus users write them: ``90s``, ``5m``, ``1h30m``."""

from __future__ import annotations

import re

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text: str) -> float:
    """``text`` in seconds; ValueError for anything that is not a duration."""
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration like 90s, 5m or 1h30m")
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)

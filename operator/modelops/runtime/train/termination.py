"""The trainer's termination message: a compact JSON summary within 4 KiB.

On success it carries what the operator needs to register a ModelVersion; on failure a
CamelCase reason and a message saying what to fix. Keys are camelCase. Where it is
written is ``modelops.runtime.termination``'s business.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelops.runtime import termination
from modelops.runtime.termination import LIMIT, PATH_VARIABLE, failure

__all__ = ["LIMIT", "PATH_VARIABLE", "encode", "failure", "write"]


def encode(summary: Mapping[str, Any]) -> bytes:
    """Compact JSON of ``summary`` within ``LIMIT`` bytes.

    What can grow without bound gives way first: a success drops its params (they stay
    in manifest.json) and says so with ``"paramsTruncated": true``; a failure's message is
    cut short.
    """
    data = _compact(summary)
    if len(data) <= LIMIT:
        return data
    shrunk = dict(summary)
    if "params" in shrunk:
        shrunk["params"] = {}
        shrunk["paramsTruncated"] = True
        data = _compact(shrunk)
    message = str(shrunk.get("message", ""))
    keep = len(message)
    while len(data) > LIMIT and keep > 0:
        keep = min(keep - 1, keep * LIMIT // len(data))
        shrunk["message"] = message[:keep] + "..."
        data = _compact(shrunk)
    return data


def write(summary: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    """Encode the summary and write it as the termination message."""
    termination.write(encode(summary), environ)


def _compact(summary: Mapping[str, Any]) -> bytes:
    return json.dumps(summary, separators=(",", ":"), default=str).encode()

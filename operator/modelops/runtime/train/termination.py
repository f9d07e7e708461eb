"""The trainer's last word to the operator: a compact JSON summary in the termination message.

Kubernetes copies the file at ``terminationMessagePath`` (4 KiB at most) into the
pod's status, where the operator reads it without reaching the artifact store. On
success it carries what the operator needs to register a ModelVersion; on failure a
CamelCase reason and a message saying what to fix. Keys are camelCase.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PATH_VARIABLE = "MODELOPS_TERMINATION_MESSAGE_PATH"
DEFAULT_PATH = "/dev/termination-log"
LIMIT = 4096


def failure(reason: str, message: str) -> dict[str, Any]:
    return {"ok": False, "reason": reason, "message": message}


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
    """Write the summary where Kubernetes looks for it; skip silently where that is not writable."""
    path = environ.get(PATH_VARIABLE, DEFAULT_PATH)
    try:
        with open(path, "wb") as handle:
            handle.write(encode(summary))
    except OSError:
        return


def _compact(summary: Mapping[str, Any]) -> bytes:
    return json.dumps(summary, separators=(",", ":"), default=str).encode()

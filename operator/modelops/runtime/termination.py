"""A pod's last word to the operator: its exit code and its termination message.

Kubernetes copies the file at ``terminationMessagePath`` (4 KiB at most) into the pod's
status, where the operator reads the trainer's and the scanner's JSON summaries without
reaching the artifact store. The local kubelet names the file in the environment.

The exit code says whether a retry could help: ``RETRYABLE`` lets the Job try again,
``PERMANENT`` ends it at once (the operator renders a podFailurePolicy on it).
``PodFailure`` is the base of the trainer's and the scanner's errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

PATH_VARIABLE = "MODELOPS_TERMINATION_MESSAGE_PATH"
DEFAULT_PATH = "/dev/termination-log"
LIMIT = 4096
RETRYABLE = 1
PERMANENT = 2

log = logging.getLogger(__name__)


class PodFailure(Exception):
    """A failure with a CamelCase ``reason`` and a message saying what to fix."""

    reason = "Failed"
    permanent = False

    @property
    def exit_code(self) -> int:
        return PERMANENT if self.permanent else RETRYABLE


def failure(reason: str, message: str) -> dict[str, object]:
    """The termination message of a pod that failed: its reason and what to fix."""
    return {"ok": False, "reason": reason, "message": message}


def write(data: bytes, environ: Mapping[str, str]) -> None:
    """Write ``data`` where Kubernetes reads it; skip where that is not possible.

    The default path is used only when it exists (Kubernetes creates it in the pod), so a
    command run by hand never leaves a file in /dev.
    """
    path = environ.get(PATH_VARIABLE)
    if path is None:
        if not os.path.exists(DEFAULT_PATH):
            return
        path = DEFAULT_PATH
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as error:
        log.warning("termination message not written to %s: %s", path, error)

"""Loopback ports for pods and Services, kept stable when they can be.

Many replicas of the same containerPort run on one host, so each pod and each Service
gets its own 127.0.0.1 port; a port that was recorded earlier (an annotation from before
a restart) is reused if it is still free.
"""

from __future__ import annotations

import socket

from modelops.local.kubelet.objects import LOOPBACK


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


def pick(preferred: int | None, taken: set[int]) -> int:
    """``preferred`` if it is free and not ``taken``, else a fresh free port."""
    if preferred and preferred not in taken and is_free(preferred):
        return preferred
    while True:
        port = free_port()
        if port not in taken:
            return port

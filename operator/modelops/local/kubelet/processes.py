"""Start and stop a container's process: its own process group, its log file, no orphans.

Each process leads a new session, so stopping it signals the whole group: SIGTERM, then
SIGKILL after the grace period. Whatever the group left behind when its leader exits is
killed too, as a container runtime tears down a container's cgroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

#: Commands that mean "this package" and resolve to the running interpreter's environment.
OWN_COMMANDS = frozenset({"modelops", "python", "python3"})
#: Exit code reported when a process could not start (Kubernetes uses 128 for StartError).
START_ERROR = 128


def resolve_executable(command: str, search_path: str) -> str | None:
    """The file to execute for ``command``.

    ``modelops`` and ``python`` come from the directory of the running interpreter, so pods
    run the same installed package as the kubelet; other names are looked up on
    ``search_path``.
    """
    base = os.path.basename(command)
    if base in OWN_COMMANDS:
        own = Path(sys.executable).parent / base
        if os.access(own, os.X_OK):
            return str(own)
    if "/" in command:
        return command if os.access(command, os.X_OK) else None
    return shutil.which(command, path=search_path)


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path
    log_path: Path


async def start(launch: Launch) -> asyncio.subprocess.Process:
    """Start the process, appending stdout and stderr to its log. Raises OSError."""
    launch.log_path.parent.mkdir(parents=True, exist_ok=True)
    with launch.log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            *launch.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=launch.env,
            cwd=launch.cwd,
            start_new_session=True,
        )


def exit_code(returncode: int) -> int:
    """A shell-style exit code: death by signal N reads 128 + N (SIGKILL: 137)."""
    return 128 - returncode if returncode < 0 else returncode


def kill_group(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def stop(process: asyncio.subprocess.Process, grace: float) -> int:
    """SIGTERM the group, SIGKILL it after ``grace`` seconds; returns the exit code."""
    if process.returncode is None:
        kill_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=grace)
        except TimeoutError:
            kill_group(process.pid)
            await process.wait()
    kill_group(process.pid)
    return exit_code(process.returncode or 0)

"""Container processes run in their own group and leave nothing behind when stopped."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from modelops.local.kubelet import processes


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_stopping_kills_the_whole_group_after_the_grace(tmp_path: Path) -> None:
    # The parent ignores SIGTERM and spawns a child that sleeps; both must go.
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    log = tmp_path / "p.log"
    launch = processes.Launch((sys.executable, "-c", script), dict(os.environ), tmp_path, log)
    process = await processes.start(launch)
    for _ in range(100):
        if log.read_text().strip():
            break
        await asyncio.sleep(0.05)
    child = int(log.read_text().split()[0])
    code = await processes.stop(process, grace=0.3)
    assert code == 137
    for _ in range(50):
        if not alive(child):
            break
        await asyncio.sleep(0.05)
    assert not alive(child)


def test_the_package_commands_come_from_the_running_environment() -> None:
    resolved = processes.resolve_executable("python", "/nonexistent")
    assert resolved is not None
    assert Path(resolved).parent == Path(sys.executable).parent
    assert processes.resolve_executable("surely-not-a-command-xyz", "/bin") is None


def test_signals_read_as_shell_exit_codes() -> None:
    assert processes.exit_code(-9) == 137
    assert processes.exit_code(-15) == 143
    assert processes.exit_code(3) == 3

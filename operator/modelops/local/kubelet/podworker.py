"""One pod's container as a local process, from start to its last exit.

The worker prepares the pod's directories and environment, starts the process, probes
its readiness, restarts it with a doubling back-off as ``restartPolicy`` asks, reads its
termination message after each exit, and reports every change as a ``ContainerView``.
Cancelling the worker stops the process: SIGTERM to its group, SIGKILL after the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from modelops.local.kubelet import containers, objects, probes, processes
from modelops.local.kubelet.containers import ConfigError, Sources
from modelops.local.kubelet.objects import Obj
from modelops.local.kubelet.podstatus import ContainerView, Terminated, exit_reason
from modelops.local.kubelet.statedir import StateDir

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 30.0
#: A run this long resets the back-off, as the kubelet forgets old crashes.
BACKOFF_RESET_AFTER = 60.0
CONFIG_RETRY = 2.0
#: Kubernetes falls back to at most this much of the log for a failed container's message.
LOG_TAIL_BYTES = 2048
LOG_TAIL_LINES = 80
LOST_EXIT_CODE = 255
LOST_MESSAGE = "the local kubelet stopped while the container was running"


class PodHost(Protocol):
    """What a worker needs from the kubelet: files, referenced data, a place to report."""

    state: StateDir

    async def sources(self, pod: Obj) -> Sources: ...

    async def report(self, pod: Obj, view: ContainerView) -> None: ...


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PodWorker:
    def __init__(self, pod: Obj, port: int | None, host: PodHost, *, lost: bool) -> None:
        self.pod = pod
        self.port = port
        self.grace = 0.0
        self._host = host
        self._lost = lost
        self._starting: asyncio.Future[asyncio.subprocess.Process] | None = None
        self.task = asyncio.create_task(self._run(), name=f"pod {objects.key(pod)}")

    async def stop(self, grace: float) -> None:
        """Stop the process (SIGTERM, SIGKILL after ``grace`` s) and the worker."""
        self.grace = grace
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    @property
    def _policy(self) -> str:
        return str((self.pod.get("spec") or {}).get("restartPolicy") or "Always")

    def _restarts_after(self, exit_code: int) -> bool:
        return self._policy == "Always" or (self._policy == "OnFailure" and exit_code != 0)

    async def _run(self) -> None:
        try:
            await self._lifecycle()
        finally:
            if self._starting is not None:
                with contextlib.suppress(OSError):
                    process = await asyncio.shield(self._starting)
                    await processes.stop(process, self.grace)

    async def _lifecycle(self) -> None:
        view = self._initial_view()
        if view.terminated is not None:
            await self._host.report(self.pod, view)
            return
        backoff = INITIAL_BACKOFF
        while True:
            try:
                launch = await self._prepare()
            except ConfigError as exc:
                view = replace(
                    view, waiting_reason="CreateContainerConfigError", waiting_message=str(exc)
                )
                await self._host.report(self.pod, view)
                await asyncio.sleep(CONFIG_RETRY)
                continue
            started = now()
            terminated = await self._run_once(launch, view, started)
            if not self._restarts_after(terminated.exit_code):
                await self._host.report(self.pod, replace(view, terminated=terminated))
                return
            if (terminated.finished_at - started).total_seconds() >= BACKOFF_RESET_AFTER:
                backoff = INITIAL_BACKOFF
            view = ContainerView(
                restart_count=view.restart_count + 1,
                waiting_reason="CrashLoopBackOff",
                waiting_message=f"back-off {backoff:g}s restarting failed container",
                last_terminated=terminated,
            )
            await self._host.report(self.pod, view)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _initial_view(self) -> ContainerView:
        statuses = (self.pod.get("status") or {}).get("containerStatuses") or [{}]
        restarts = int(statuses[0].get("restartCount") or 0)
        if not self._lost:
            return ContainerView(restart_count=restarts, waiting_reason="ContainerCreating")
        running = (statuses[0].get("state") or {}).get("running") or {}
        lost = Terminated(
            exit_code=LOST_EXIT_CODE,
            reason="Unknown",
            message=LOST_MESSAGE,
            started_at=objects.parse_time(running.get("startedAt")),
            finished_at=now(),
        )
        if self._restarts_after(LOST_EXIT_CODE):
            return ContainerView(
                restart_count=restarts + 1, waiting_reason="ContainerCreating", last_terminated=lost
            )
        return ContainerView(restart_count=restarts, terminated=lost)

    async def _prepare(self) -> processes.Launch:
        state = self._host.state
        sources = await self._host.sources(self.pod)
        state.prepare(self.pod, sources)
        paths = containers.path_map(
            self.pod, state.volume_dirs(self.pod), state.termination_file(self.pod)
        )
        env = containers.container_env(self.pod, sources, os.environ, self.port, paths)
        plan = containers.launch_plan(self.pod, env, paths)
        cwd = state.working_dir(self.pod, plan.working_dir)
        return processes.Launch(plan.argv, plan.env, cwd, state.log_path(self.pod))

    async def _run_once(
        self, launch: processes.Launch, view: ContainerView, started: dt.datetime
    ) -> Terminated:
        executable = processes.resolve_executable(launch.argv[0], launch.env.get("PATH", ""))
        if executable is None:
            message = f'exec: "{launch.argv[0]}": executable file not found in $PATH'
            return Terminated(processes.START_ERROR, "StartError", message, started, now())
        launch = replace(launch, argv=(executable, *launch.argv[1:]))
        self._starting = asyncio.ensure_future(processes.start(launch))
        try:
            process = await asyncio.shield(self._starting)
        except OSError as exc:
            self._starting = None
            return Terminated(processes.START_ERROR, "StartError", str(exc), started, now())
        probe = objects.main_container(self.pod).get("readinessProbe")
        view = ContainerView(
            restart_count=view.restart_count,
            started_at=started,
            ready=probe is None,
            last_terminated=view.last_terminated,
            pid=process.pid,
        )
        await self._host.report(self.pod, view)
        exited = asyncio.ensure_future(process.wait())
        if probe is not None:
            await self._probe(probe, exited, launch, view)
        code = processes.exit_code(await exited)
        processes.kill_group(process.pid)
        self._starting = None
        message = self._message(code, launch)
        return Terminated(code, exit_reason(code), message, started, now(), process.pid)

    async def _probe(
        self, probe: Obj, exited: asyncio.Future[int], launch: processes.Launch, view: ContainerView
    ) -> None:
        """Probe until the process exits, reporting each change of readiness."""
        timing = probes.timing(probe)
        await asyncio.wait({exited}, timeout=timing.initial_delay)
        successes = failures = 0
        while not exited.done():
            ok = await probes.check(probe, self.port, launch.env, str(launch.cwd))
            if exited.done():
                return
            successes, failures = (successes + 1, 0) if ok else (0, failures + 1)
            if not view.ready and successes >= timing.success_threshold:
                view = replace(view, ready=True)
                await self._host.report(self.pod, view)
            elif view.ready and failures >= timing.failure_threshold:
                view = replace(view, ready=False)
                await self._host.report(self.pod, view)
            await asyncio.wait({exited}, timeout=timing.period)

    def _message(self, exit_code: int, launch: processes.Launch) -> str:
        path = Path(launch.env[containers.TERMINATION_ENV])
        try:
            with path.open("rb") as f:
                message = f.read(4096).decode(errors="replace")
        except OSError:
            message = ""
        policy = objects.main_container(self.pod).get("terminationMessagePolicy")
        if message or exit_code == 0 or policy != "FallbackToLogsOnError":
            return message
        return _log_tail(launch.log_path)


def _log_tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(f.seek(0, os.SEEK_END) - LOG_TAIL_BYTES, 0))
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(tail.splitlines()[-LOG_TAIL_LINES:])

"""``modelops local up|down``: the embedded cluster, with the real operator, in one process tree.

``up`` starts the API server (state in SQLite under the state dir), applies the
CRDs generated from the API models, starts the local kubelet, and runs the
operator (``modelops operator``, the same process as in a real cluster) as a
supervised child that is restarted if it dies, as its Deployment would be. It
writes ``<state>/kubeconfig`` and runs until SIGINT or SIGTERM, then stops every
child. ``--detach`` returns once the cluster is ready; ``down`` stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from modelops.api import crds
from modelops.local import prometheus
from modelops.local.apiserver import ApiServer, write_kubeconfig
from modelops.local.kubelet import Kubelet
from modelops.local.kubelet.ports import free_port

READY_FILE = "local.json"


OPERATOR_RESTART_DELAY = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="start the local cluster and the operator")
    up.add_argument("--state-dir", type=Path, default=Path(".state/local"))
    up.add_argument("--port", type=int, default=0, help="API server port (default: any free)")
    up.add_argument(
        "--detach", action="store_true", help="run in the background; return once ready"
    )
    up.add_argument(
        "--no-operator",
        action="store_true",
        help="start the API server and kubelet only (to run an operator yourself)",
    )
    up.add_argument(
        "--no-prometheus",
        action="store_true",
        help="do not start Prometheus even if installed (drift is then scraped from the pods)",
    )
    down = sub.add_parser("down", help="stop a local cluster started in the background")
    down.add_argument("--state-dir", type=Path, default=Path(".state/local"))


def main(args: argparse.Namespace) -> int:
    state: Path = args.state_dir.resolve()
    if args.action == "down":
        return _down(state)
    if args.detach:
        return _detach(state, args)
    return asyncio.run(
        _up(state, args.port, operator=not args.no_operator, with_prometheus=not args.no_prometheus)
    )


def _running_pid(state: Path) -> int | None:
    try:
        pid = int(json.loads((state / READY_FILE).read_text())["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError):
        return None
    return pid


def _alive(pid: int) -> bool:
    """Whether ``pid`` is still running (an exited process awaiting its reaper is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _down(state: Path) -> int:
    pid = _running_pid(state)
    if pid is None:
        print(f"no local cluster is running in {state}")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    # The process itself, not its ready file: it removes that file before it exits.
    while time.monotonic() < deadline:
        if not _alive(pid):
            print("local cluster stopped")
            return 0
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    print("local cluster did not stop in 60 s; killed it", file=sys.stderr)
    return 1


def _detach(state: Path, args: argparse.Namespace) -> int:
    if _running_pid(state) is not None:
        print(f"a local cluster is already running in {state}", file=sys.stderr)
        return 1
    state.mkdir(parents=True, exist_ok=True)
    (state / READY_FILE).unlink(missing_ok=True)
    command = [sys.executable, "-m", "modelops", "local", "up", "--state-dir", str(state)]
    command += ["--port", str(args.port)]
    command += ["--no-operator"] if args.no_operator else []
    command += ["--no-prometheus"] if args.no_prometheus else []
    log = (state / "local.log").open("ab")
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"local cluster failed to start; see {state / 'local.log'}", file=sys.stderr)
            return 1
        if (state / READY_FILE).exists():
            print(f"export KUBECONFIG={state / 'kubeconfig'}")
            return 0
        time.sleep(0.1)
    process.terminate()
    print("local cluster did not become ready in 120 s", file=sys.stderr)
    return 1


async def _apply_crds(url: str) -> None:
    base = f"{url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    async with aiohttp.ClientSession() as session:
        for kind in crds.KINDS:
            crd = crds.render_crd(kind)
            async with session.get(f"{base}/{kind.crd_name}") as response:
                existing: dict[str, Any] | None = (
                    await response.json() if response.status == 200 else None
                )
            if existing is None:
                request = session.post(base, json=crd)
            else:
                crd["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
                request = session.put(f"{base}/{kind.crd_name}", json=crd)
            async with request as response:
                if response.status >= 300:
                    raise RuntimeError(f"applying {kind.crd_name}: {await response.text()}")


async def _supervise_operator(
    state: Path, stop: asyncio.Event, metrics_port: int, prometheus_url: str | None
) -> None:
    """Run ``modelops operator``; restart it when it exits, until ``stop`` is set."""
    env = dict(os.environ)
    if prometheus_url:
        env.setdefault("MODELOPS_PROMETHEUS_URL", prometheus_url)
    env["KUBECONFIG"] = str(state / "kubeconfig")
    env.setdefault("MODELOPS_ARTIFACT_ROOT", (state / "artifacts").as_uri())
    env.setdefault("MODELOPS_METRICS_PORT", str(metrics_port))
    (state / "logs").mkdir(exist_ok=True)
    while not stop.is_set():
        with (state / "logs" / "operator.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "modelops",
                "operator",
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        (state / "operator.pid").write_text(str(process.pid))
        waiter = asyncio.create_task(process.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            stopper.cancel()
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(waiter, 15)
            except TimeoutError:
                process.kill()
                await waiter
            return
        stopper.cancel()
        await asyncio.sleep(OPERATOR_RESTART_DELAY)


async def _up(state: Path, port: int, operator: bool, with_prometheus: bool) -> int:
    if _running_pid(state) not in (None, os.getpid()):
        print(f"a local cluster is already running in {state}", file=sys.stderr)
        return 1
    state.mkdir(parents=True, exist_ok=True)
    (state / "artifacts").mkdir(exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    server = await ApiServer.start(state / "api", port=port)
    kubeconfig = write_kubeconfig(state / "kubeconfig", server.url)
    kubelet: Kubelet | None = None
    supervisor: asyncio.Task[None] | None = None
    prom: prometheus.Prometheus | None = None
    metrics_port = 0
    try:
        await _apply_crds(server.url)
        kubelet = await Kubelet.start(server.url, state / "kubelet")
        server.pod_logs = kubelet.read_log
        metrics_port = free_port()
        if with_prometheus:
            operator_target = f"127.0.0.1:{metrics_port}" if operator else None
            prom = await prometheus.start(state, server.url, free_port(), operator_target)
        if operator:
            supervisor = asyncio.create_task(
                _supervise_operator(state, stop, metrics_port, prom.url if prom else None)
            )
        ready = {
            "pid": os.getpid(),
            "url": server.url,
            "kubeconfig": str(kubeconfig),
            "operatorMetrics": f"http://127.0.0.1:{metrics_port}/metrics" if operator else None,
            "prometheus": prom.url if prom else None,
        }
        (state / READY_FILE).write_text(json.dumps(ready))
        print(f"local cluster ready at {server.url}", flush=True)
        print(f"export KUBECONFIG={kubeconfig}", flush=True)
        if prom is not None:
            print(f"Prometheus at {prom.url}", flush=True)
        elif with_prometheus:
            print("no prometheus binary found: drift is read by scraping the pods", flush=True)
        await stop.wait()
    finally:
        stop.set()
        if supervisor is not None:
            await supervisor
        if prom is not None:
            await prom.stop()
        if kubelet is not None:
            await kubelet.stop()
        await server.stop()
        (state / READY_FILE).unlink(missing_ok=True)
    print("local cluster stopped", flush=True)
    return 0

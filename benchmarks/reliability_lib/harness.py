"""A whole local cluster for reliability runs: faulty API, kubelet, and a killable operator.

The same parts as ``modelops local up`` (API server, CRDs, kubelet, ``modelops operator``
with the same environment), assembled here so that faults can be switched on for the
whole cluster and the operator can be SIGKILLed and restarted at chosen moments::

    with LocalCluster(state_dir, faults=0.2, seed=1) as cluster:
        cluster.api.create({...})
        cluster.kill_operator()          # SIGKILL, then start a new one
        cluster.operator_rss_mb()

Everything listens on 127.0.0.1 only, and every process started here is stopped on exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from benchmarks.reliability_lib import cluster as cluster_process
from benchmarks.reliability_lib.client import Api

from modelops.local.kubelet.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class LocalCluster:
    """A local cluster in ``state``; ``faults`` is the share of API requests faulted."""

    def __init__(
        self,
        state: Path,
        faults: float = 0.0,
        seed: int = 0,
        kubelet: bool = True,
        operator: bool = True,
    ) -> None:
        self.state = state
        self.faults = faults
        self.seed = seed
        self.kubelet = kubelet
        self.start_operator_on_enter = operator
        self.operator_starts = 0
        self.unexpected_exits = 0
        self.metrics_port = free_port()
        self._cluster: subprocess.Popen[bytes] | None = None
        self._operator: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._operator_lock = threading.RLock()
        self.api = Api("http://127.0.0.1:0")

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def artifacts(self) -> Path:
        return self.state / "artifacts"

    @property
    def operator_log(self) -> Path:
        return self.state / "logs" / "operator.log"

    def __enter__(self) -> LocalCluster:
        self.state.mkdir(parents=True, exist_ok=True)
        self.artifacts.mkdir(exist_ok=True)
        (self.state / "logs").mkdir(exist_ok=True)
        ready = self.state / cluster_process.READY_FILE
        ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", "benchmarks.reliability_lib.cluster"]
        command += ["--state", str(self.state)]
        if self.faults:
            command += ["--faults", f"{self.faults},{self.seed}"]
        if not self.kubelet:
            command.append("--no-kubelet")
        self._log = (self.state / "logs" / "cluster.log").open("ab")
        self._cluster = subprocess.Popen(
            command,
            env=_env(),
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not ready.exists():
                if self._cluster.poll() is not None or time.monotonic() > deadline:
                    log = (self.state / "logs" / "cluster.log").read_text(errors="replace")
                    raise RuntimeError(f"the local cluster did not start:\n{log[-3000:]}")
                time.sleep(0.1)
            self.api = Api(json.loads(ready.read_text())["url"])
            if self.start_operator_on_enter:
                self.start_operator()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_operator()
        if self._cluster is not None:
            self._cluster.send_signal(signal.SIGTERM)
            try:
                self._cluster.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self._cluster.pid, signal.SIGKILL)
                self._cluster.wait()
            self._cluster = None
        if self._log is not None:
            self._log.close()

    def start_operator(self) -> None:
        """Start ``modelops operator`` as ``modelops local up`` does."""
        env = _env()
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["MODELOPS_ARTIFACT_ROOT"] = self.artifacts.as_uri()
        env["MODELOPS_METRICS_PORT"] = str(self.metrics_port)
        with self.operator_log.open("ab") as log:
            self._operator = subprocess.Popen(
                [sys.executable, "-m", "modelops", "operator"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.operator_starts += 1

    def operator_alive(self) -> bool:
        """Whether the operator runs; one that died by itself is counted and restarted."""
        with self._operator_lock:
            if self._operator is None:
                return False
            if self._operator.poll() is None:
                return True
            self.unexpected_exits += 1
            self.start_operator()
            return False

    def kill_operator(self, restart_after: float = 1.0) -> None:
        """SIGKILL the operator, as an OOM kill or a node loss would, and start a new one
        ``restart_after`` seconds later (as its Deployment would, after a back-off)."""
        with self._operator_lock:
            self.operator_alive()
            assert self._operator is not None
            self._operator.kill()
            self._operator.wait()
            time.sleep(restart_after)
            self.start_operator()

    def stop_operator(self) -> None:
        with self._operator_lock:
            self._stop_operator()

    def _stop_operator(self) -> None:
        if self._operator is None:
            return
        if self._operator.poll() is None:
            self._operator.terminate()
            try:
                self._operator.wait(20)
            except subprocess.TimeoutExpired:
                self._operator.kill()
                self._operator.wait()
        self._operator = None

    def operator_rss_mb(self) -> tuple[float, float]:
        """The operator's resident memory now and at its peak, in MB."""
        assert self._operator is not None
        fields: dict[str, float] = {}
        for line in Path(f"/proc/{self._operator.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]

    def audit(self) -> list[dict[str, object]]:
        """Every request the API server answered so far (its audit log)."""
        lines = (self.state / "api" / "audit.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

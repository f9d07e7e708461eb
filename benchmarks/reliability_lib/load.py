"""Sustained load with wrk: steady state against one server, and a rolling update on the
local cluster while the load runs through the Service's loopback port.

wrk (``apt-get install wrk``) runs as a bounded child process (``-d`` seconds, then it
exits); its report is parsed into `WrkResult`. Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks.reliability_lib.client import Api, Obj
from benchmarks.reliability_lib.harness import LocalCluster
from benchmarks.reliability_lib.operator_scenarios import NAMESPACE, training_run

_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{body}]]
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class WrkResult:
    seconds: float
    connections: int
    requests: int = 0
    non_2xx: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    report: str = ""

    @property
    def errors(self) -> int:
        """Every request a client would count as failed: non-2xx answers and socket errors."""
        return (
            self.non_2xx
            + self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.timeouts
        )


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse(report: str, seconds: float, connections: int) -> WrkResult:
    result = WrkResult(seconds, connections, report=report)
    if found := re.search(r"(\d+) requests in", report):
        result.requests = int(found.group(1))
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", report):
        result.non_2xx = int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    ):
        errors = [int(g) for g in found.groups()]
        (
            result.connect_errors,
            result.read_errors,
            result.write_errors,
            result.timeouts,
        ) = errors
    if found := re.search(r"Requests/sec:\s+([\d.]+)", report):
        result.requests_per_second = float(found.group(1))
    if found := re.search(r"\s50%\s+(\S+)", report):
        result.p50_ms = _ms(found.group(1))
    if found := re.search(r"\s99%\s+(\S+)", report):
        result.p99_ms = _ms(found.group(1))
    return result


class Wrk:
    """``wrk`` POSTing ``body`` to ``url`` for ``seconds`` with ``connections`` connections."""

    def __init__(
        self, url: str, body: str, seconds: int, connections: int = 64, threads: int = 2
    ) -> None:
        assert url.startswith("http://127.0.0.1:"), "load goes to this machine only"
        self.seconds, self.connections = seconds, connections
        self._dir = tempfile.TemporaryDirectory()
        script = Path(self._dir.name) / "post.lua"
        script.write_text(_LUA.format(body=body))
        self._command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "--latency",
            "-s",
            str(script),
            url,
        ]
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Wrk:
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        return self

    def wait(self) -> WrkResult:
        assert self._process is not None
        try:
            report, _ = self._process.communicate(timeout=self.seconds + 60)
        finally:
            if self._process.poll() is None:
                self._process.kill()
            self._dir.cleanup()
        return parse(report, self.seconds, self.connections)

    def run(self) -> WrkResult:
        return self.start().wait()


def _phase(obj: Obj | None) -> str | None:
    return ((obj or {}).get("status") or {}).get("phase")


def _wait(what: str, check: object, timeout: float) -> Obj:
    deadline = time.monotonic() + timeout
    last: Obj | None = None
    while time.monotonic() < deadline:
        last = check()  # type: ignore[operator]
        if last:
            return last
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not happen in {timeout:.0f} s")


def _train_version(api: Api, run: str, model: str, seed: int) -> int:
    api.create(training_run(run, model, seed=seed))
    done = _wait(
        f"run {run} finishing",
        lambda: (
            (r := api.get("TrainingRun", run, NAMESPACE))
            and _phase(r) in ("Succeeded", "Failed")
            and r
        ),
        300,
    )
    assert _phase(done) == "Succeeded", done.get("status")
    version_name = done["status"]["modelVersion"]
    version = _wait(
        f"{version_name} scanned",
        lambda: (
            (v := api.get("ModelVersion", version_name, NAMESPACE))
            and _phase(v) in ("Validated", "Rejected")
            and v
        ),
        300,
    )
    assert _phase(version) == "Validated", version.get("status")
    return int(version["spec"]["version"])


def _serving(api: Api, name: str, version: int, replicas: int) -> Obj | None:
    deployment = api.get("ModelDeployment", name, NAMESPACE)
    status = (deployment or {}).get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    if not ready or status.get("currentVersion") != version:
        return None
    if status.get("readyReplicas") != replicas or status.get("replicas") != replicas:
        return None
    return deployment


@dataclass
class RolloutResult:
    load: WrkResult
    from_version: int
    to_version: int
    rollout_seconds: float
    served_after: str
    """The model_version a request got once the load was over."""


def rolling_update(state: Path, seconds: int, connections: int = 64) -> RolloutResult:
    """Serve version 1 of a model with 2 replicas, then pin version 2 while wrk runs through
    the Service's loopback port; the rollout must fail no request."""
    with LocalCluster(state) as cluster:
        api = cluster.api
        first = _train_version(api, "rollout-a", "rollout", 1)
        second = _train_version(api, "rollout-b", "rollout", 2)
        api.create(
            {
                "apiVersion": "modelops.dev/v1alpha1",
                "kind": "ModelDeployment",
                "metadata": {"name": "rollout", "namespace": NAMESPACE},
                "spec": {"model": "rollout", "version": first, "replicas": 2},
            }
        )
        _wait("version 1 serving", lambda: _serving(api, "rollout", first, 2), 180)
        service = _wait(
            "the Service's loopback port",
            lambda: (
                (s := api.get("Service", "rollout", NAMESPACE))
                and ((s.get("status") or {}).get("loadBalancer") or {}).get("ingress")
                and s
            ),
            60,
        )
        port = service["status"]["loadBalancer"]["ingress"][0]["ports"][0]["port"]
        url = f"http://127.0.0.1:{port}/v2/models/rollout/infer"
        body = (
            '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
        )
        load = Wrk(url, body, seconds, connections).start()
        time.sleep(min(3.0, seconds / 5))
        started = time.monotonic()
        api.merge_patch("ModelDeployment", "rollout", {"spec": {"version": second}}, NAMESPACE)
        _wait("version 2 serving", lambda: _serving(api, "rollout", second, 2), seconds + 60)
        rollout_seconds = time.monotonic() - started
        result = load.wait()
        served = _served_version(url, body)
    return RolloutResult(result, first, second, rollout_seconds, served)


def _served_version(url: str, body: str) -> str:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["model_version"])


def steady(url: str, body: str, seconds: int, connections: int = 64) -> WrkResult:
    """wrk against one server for ``seconds``."""
    return Wrk(url, body, seconds, connections).run()

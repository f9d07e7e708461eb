"""``modelops demo``: run the loop end to end on a fresh local cluster and report it.

1. start the local cluster (with Prometheus when installed) and land labeled data;
2. train model ``demo`` v1, wait until its scan validates it, deploy it;
3. send steady traffic, then shift the traffic and land newly labeled, shifted data;
4. watch drift rise, the retraining policy start a run, the new version get scanned,
   validated and promoted, and drift fall;
5. print a timeline, write a plot, stop the cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from modelops.demo import report
from modelops.demo.traffic import Traffic

MODEL = "demo"
ROWS = 4000
FEATURES = 8
THRESHOLD = 1.0
SHIFT = 1.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=Path(".state/demo"))
    parser.add_argument(
        "--steady-seconds", type=float, default=15.0, help="traffic before the shift (15)"
    )
    parser.add_argument(
        "--timeout", type=float, default=240.0, help="give up after this many seconds (240)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the cluster running at the end")


def main(args: argparse.Namespace) -> int:
    state: Path = args.state_dir.resolve()
    demo = Demo(state, args.steady_seconds, args.timeout)
    try:
        return asyncio.run(demo.run())
    finally:
        if not args.keep:
            demo.modelops("local", "down", "--state-dir", str(state))


def synthetic(shift: float, seed: int) -> pa.Table:
    """Labeled rows from the trainer's own synthetic generator (so the demo needs no files)."""
    from modelops.runtime.train import builtin

    uri = f"builtin://synthetic?rows={ROWS}&features={FEATURES}&informative=5&seed=7&shift={shift}"
    table, _ = builtin.load(uri)
    generator = np.random.default_rng(seed)
    order = generator.permutation(table.num_rows)
    return table.take(pa.array(order))


class Demo:
    def __init__(self, state: Path, steady: float, timeout: float) -> None:
        self.state = state
        self.steady = steady
        self.timeout = timeout
        self.started = time.monotonic()
        self.events: list[tuple[float, str]] = []
        self.samples: list[report.Sample] = []
        self.shift_at: float | None = None
        self.api = ""

    # -- plumbing ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str) -> None:
        self.events.append((self.now(), text))
        print(f"[{self.now():6.1f}s] {text}", flush=True)

    def modelops(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "modelops", *args], capture_output=True, text=True, check=False
        )

    def kubectl_apply(self, obj: dict[str, Any]) -> None:
        env = {**os.environ, "KUBECONFIG": str(self.state / "kubeconfig")}
        result = subprocess.run(
            ["kubectl", "apply", "-f", "-"],
            input=yaml.safe_dump(obj),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kubectl apply failed: {result.stderr.strip()}")
        print(f"         $ kubectl apply -f -   # {result.stdout.strip()}", flush=True)

    def get(
        self, plural: str, name: str, group: str = "apis/modelops.dev/v1alpha1"
    ) -> dict[str, Any]:
        url = f"{self.api}/{group}/namespaces/default/{plural}/{name}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                loaded: dict[str, Any] = json.loads(answer.read())
                return loaded
        except OSError:
            return {}

    async def until(self, what: str, check: Callable[[], bool]) -> None:
        while not check():
            if self.now() > self.timeout:
                raise TimeoutError(f"gave up waiting for {what} after {self.timeout:.0f}s")
            self.sample()
            await asyncio.sleep(0.5)

    def sample(self) -> None:
        status = self.get("modeldeployments", MODEL).get("status") or {}
        drift = (status.get("drift") or {}).get("score")
        self.samples.append(report.Sample(self.now(), drift, status.get("currentVersion")))

    def status_of(self, plural: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(plural, name).get("status") or {}
        return found

    # -- the scenario -------------------------------------------------------------------------

    def land(self, table: pa.Table, part: int) -> None:
        data = self.state / "data" / MODEL
        data.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, data / f"part-{part:03d}.parquet")

    def training_spec(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "dataset": {
                "uri": f"{(self.state / 'data' / MODEL).as_uri()}/*.parquet",
                "maxRows": ROWS,
                "holdoutFraction": 0.25,
            },
            "estimator": {
                "name": "HistGradientBoostingClassifier",
                "params": {"max_iter": 60, "learning_rate": 0.15},
            },
            "validation": {"minMetrics": {"accuracy": 0.7}, "champion": {"tolerance": 0.02}},
        }

    async def run(self) -> int:
        self.say("starting the local cluster")
        if (self.state / "api").exists():
            self.modelops("local", "down", "--state-dir", str(self.state))
            shutil.rmtree(self.state, ignore_errors=True)
        started = self.modelops("local", "up", "--detach", "--state-dir", str(self.state))
        if started.returncode != 0:
            print(started.stdout + started.stderr, file=sys.stderr)
            return 1
        ready = json.loads((self.state / "local.json").read_text())
        self.api = ready["url"]
        source = "Prometheus" if ready.get("prometheus") else "a direct scrape of the pods"
        self.say(f"cluster ready; drift will be read from {source}")

        baseline, shifted = synthetic(0.0, 1), synthetic(SHIFT, 2)
        self.land(baseline, 0)
        self.say(f"landed {ROWS} labeled rows at data/{MODEL}/part-000.parquet")
        self.kubectl_apply(
            {
                "apiVersion": "modelops.dev/v1alpha1",
                "kind": "TrainingRun",
                "metadata": {"name": f"{MODEL}-initial"},
                "spec": self.training_spec(),
            }
        )
        await self.until(
            "the first model",
            lambda: (
                self.status_of("modelversions", f"{MODEL}-v1").get("phase")
                in ("Validated", "Rejected")
            ),
        )
        v1 = self.status_of("modelversions", f"{MODEL}-v1")
        if v1.get("phase") != "Validated":
            self.say(f"{MODEL}-v1 was rejected: {v1.get('message')}")
            return 1
        self.say(f"{MODEL}-v1 trained, scanned and Validated ({v1.get('keyMetric')})")

        self.kubectl_apply(self.deployment())
        await self.until("the deployment", self.serving(1))
        self.say("ModelDeployment demo is Ready, serving v1")

        service = self.get("services", MODEL, group="api/v1")
        port = service["status"]["loadBalancer"]["ingress"][0]["ports"][0]["port"]
        features = [c for c in baseline.column_names if c != "target"]
        rows = np.column_stack([baseline[c].to_numpy() for c in features])
        traffic = Traffic(f"http://127.0.0.1:{port}/v2/models/{MODEL}/infer", rows)
        sender = asyncio.create_task(traffic.run())
        self.say("sending steady traffic (250 rows/s)")
        steady_until = self.now() + self.steady
        await self.until("steady traffic", lambda: self.now() >= steady_until)

        self.shift_at = self.now()
        traffic.switch(np.column_stack([shifted[c].to_numpy() for c in features]))
        self.land(shifted, 1)
        self.say(f"traffic shifts by {SHIFT} in 3 features; shifted labeled data lands (part-001)")
        await self.until("drift", lambda: self.condition("DriftDetected"))
        onset = self.now()
        self.say(f"drift detected: {self.drift_text()}")
        await self.until("retraining", lambda: bool(self.retraining().get("run")))
        self.say(f"retraining started: TrainingRun {self.retraining()['run']}")
        await self.until(
            "the new version",
            lambda: (
                self.status_of("modelversions", f"{MODEL}-v2").get("phase")
                in ("Validated", "Rejected")
            ),
        )
        v2 = self.status_of("modelversions", f"{MODEL}-v2")
        self.say(f"{MODEL}-v2 scanned: {v2.get('phase')} ({v2.get('keyMetric')})")
        await self.until("promotion", self.serving(2))
        serving_at = self.now()
        self.say("v2 promoted and serving; v1 archived")
        await self.until("drift to fall", self.drift_below)
        self.say(f"drift fell: {self.drift_text()}")
        tail_until = self.now() + 5
        await self.until("a last look", lambda: self.now() >= tail_until)
        traffic.stop()
        await sender

        print()
        print(report.timeline_table(self.events))
        print()
        print(f"drift detected -> new model serving: {serving_at - onset:.1f} s")
        print(f"traffic shift -> new model serving:  {serving_at - self.shift_at:.1f} s")
        print(f"requests: {traffic.sent} ok, {traffic.failed} failed")
        page, png = report.write(
            self.state / "report", self.samples, self.events, THRESHOLD, self.shift_at
        )
        print(f"plot: {png}\npage: {page}")
        return 0 if traffic.failed == 0 else 1

    def deployment(self) -> dict[str, Any]:
        return {
            "apiVersion": "modelops.dev/v1alpha1",
            "kind": "ModelDeployment",
            "metadata": {"name": MODEL},
            "spec": {
                "model": MODEL,
                "replicas": 1,
                "monitoring": {"drift": {"window": 500}},
                "retraining": {
                    "threshold": THRESHOLD,
                    "for": "6s",
                    "minRows": 300,
                    "checkInterval": "2s",
                    "cooldown": "5m",
                    "autoPromote": True,
                    "template": self.training_spec(),
                },
            },
        }

    def serving(self, version: int) -> Callable[[], bool]:
        def check() -> bool:
            status = self.status_of("modeldeployments", MODEL)
            return status.get("currentVersion") == version and self.condition("Ready")

        return check

    def condition(self, kind: str) -> bool:
        conditions = self.status_of("modeldeployments", MODEL).get("conditions") or []
        return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)

    def retraining(self) -> dict[str, Any]:
        found: dict[str, Any] = (
            self.status_of("modeldeployments", MODEL).get("lastRetraining") or {}
        )
        return found

    def drift_text(self) -> str:
        drift = self.status_of("modeldeployments", MODEL).get("drift") or {}
        features = ", ".join(drift.get("driftedFeatures") or []) or "none"
        score = drift.get("score")
        shown = f"{score:.2f}" if isinstance(score, int | float) else "none"
        return f"score {shown} (threshold {THRESHOLD}), drifted features: {features}"

    def drift_below(self) -> bool:
        status = self.status_of("modeldeployments", MODEL)
        drift = status.get("drift") or {}
        score = drift.get("score")
        return status.get("currentVersion") == 2 and score is not None and score < THRESHOLD

"""The API server and kubelet of a local cluster, as one process, optionally faulty.

``modelops local up`` has no fault switch and its operator is supervised from inside, so
the reliability harness assembles the same parts itself: this process serves the
embedded API (with a `FaultConfig`), applies the CRDs, runs the kubelet unless told not
to, writes ``<state>/kubeconfig`` and ``<state>/cluster.json`` once ready, and runs until
SIGTERM. The operator runs beside it as a separate process (see ``harness``).

    python -m benchmarks.reliability_lib.cluster --state DIR [--faults RATE[,SEED]] [--no-kubelet]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
from pathlib import Path

import aiohttp

from modelops.api import crds
from modelops.local.apiserver import ApiServer, FaultConfig, write_kubeconfig
from modelops.local.kubelet import Kubelet

READY_FILE = "cluster.json"


def fault_config(rate: float, seed: int) -> FaultConfig:
    """Faults hitting at least ``rate`` of all resource requests, of every kind.

    Every request is answered 500 or 429 (with Retry-After) with probability ``rate``;
    writes are in addition refused with 409 Conflict at a quarter of the rate. On top, a
    few requests are slowed, and watches are dropped mid-stream or expired with 410 Gone.
    """
    each = 1 - math.sqrt(1 - rate)
    return FaultConfig(
        error_rate=each,
        throttle_rate=each,
        retry_after_seconds=1,
        conflict_rate=rate / 4,
        latency_rate=rate / 4,
        latency_seconds=0.2,
        watch_drop_rate=rate / 20,
        watch_gone_rate=rate / 4,
        seed=seed,
    )


async def apply_crds(url: str) -> None:
    """Create every CRD, retrying the faults the server may inject."""
    base = f"{url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    async with aiohttp.ClientSession() as session:
        for kind in crds.KINDS:
            for _ in range(100):
                async with session.post(base, json=crds.render_crd(kind)) as response:
                    if response.status < 300 or (
                        response.status == 409
                        and (await response.json()).get("reason") == "AlreadyExists"
                    ):
                        break
                    if response.status not in (409, 429, 500):
                        raise RuntimeError(f"creating {kind.crd_name}: {await response.text()}")
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"creating {kind.crd_name}: too many injected faults")


async def run(state: Path, faults: FaultConfig | None, kubelet: bool) -> None:
    state.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = await ApiServer.start(state / "api", faults=faults)
    runner: Kubelet | None = None
    try:
        write_kubeconfig(state / "kubeconfig", server.url)
        await apply_crds(server.url)
        if kubelet:
            runner = await Kubelet.start(server.url, state / "kubelet")
            server.pod_logs = runner.read_log
        (state / READY_FILE).write_text(json.dumps({"url": server.url}))
        await stop.wait()
    finally:
        if runner is not None:
            await runner.stop()
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--faults", default="", help="RATE[,SEED]: share of requests faulted")
    parser.add_argument("--no-kubelet", action="store_true")
    args = parser.parse_args()
    faults = None
    if args.faults:
        rate, _, seed = args.faults.partition(",")
        faults = fault_config(float(rate), int(seed or 0))
    asyncio.run(run(args.state, faults, kubelet=not args.no_kubelet))


if __name__ == "__main__":
    main()

"""Debian's Prometheus, run by ``modelops local up`` when its binary is installed.

It scrapes the operator and every serving pod that asks to be scraped
(``prometheus.io/scrape: "true"``), found through a file_sd target list this
module keeps in step with the pods in the local API server. The retraining
policy then reads drift from it with PromQL, as it would in a real cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from modelops.local.kubelet.objects import PORT_ANNOTATION

SCRAPE_INTERVAL = "2s"


def config(targets: Path, operator_target: str | None) -> dict[str, Any]:
    """The Prometheus configuration: the operator, and the serving pods from ``targets``."""
    scrape: list[dict[str, Any]] = [
        {
            "job_name": "modelops-serving",
            "file_sd_configs": [{"files": [str(targets)], "refresh_interval": "2s"}],
        }
    ]
    if operator_target:
        scrape.append(
            {"job_name": "modelops-operator", "static_configs": [{"targets": [operator_target]}]}
        )
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": scrape,
    }


def scrape_targets(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """file_sd entries for the running pods annotated for scraping."""
    entries = []
    for pod in pods:
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        annotations = meta.get("annotations") or {}
        if annotations.get("prometheus.io/scrape") != "true" or status.get("phase") != "Running":
            continue
        port = annotations.get(PORT_ANNOTATION) or annotations.get("prometheus.io/port")
        if not port or not status.get("podIP"):
            continue
        labels = meta.get("labels") or {}
        entries.append(
            {
                "targets": [f"{status['podIP']}:{port}"],
                "labels": {
                    "namespace": meta.get("namespace", ""),
                    "pod": meta.get("name", ""),
                    "deployment": labels.get("modelops.dev/deployment", ""),
                },
            }
        )
    return sorted(entries, key=lambda e: e["labels"]["pod"])


@dataclass
class Prometheus:
    """A running Prometheus and the task that keeps its targets current."""

    url: str
    process: asyncio.subprocess.Process
    targets_task: asyncio.Task[None]

    async def stop(self) -> None:
        self.targets_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.targets_task
        if self.process.returncode is None:
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def _keep_targets(api_url: str, path: Path) -> None:
    last = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while True:
            try:
                async with session.get(f"{api_url}/api/v1/pods") as answer:
                    pods = (await answer.json()).get("items") or []
                entries = scrape_targets(pods)
                if entries != last:
                    tmp = path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(entries))
                    os.replace(tmp, path)
                    last = entries
            except (aiohttp.ClientError, TimeoutError, ValueError):
                pass
            await asyncio.sleep(1.0)


async def start(
    state: Path, api_url: str, port: int, operator_target: str | None
) -> Prometheus | None:
    """Start Prometheus on 127.0.0.1:``port``; None when no prometheus binary is installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        return None
    home = state / "prometheus"
    (home / "data").mkdir(parents=True, exist_ok=True)
    targets = home / "targets.json"
    targets.write_text("[]")
    (home / "prometheus.yml").write_text(yaml.safe_dump(config(targets, operator_target)))
    (state / "logs").mkdir(exist_ok=True)
    with (state / "logs" / "prometheus.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={home / 'prometheus.yml'}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    task = asyncio.create_task(_keep_targets(api_url, targets))
    prometheus = Prometheus(url, process, task)
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                async with session.get(f"{url}/-/ready") as answer:
                    if answer.status == 200:
                        return prometheus
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    await prometheus.stop()
    raise RuntimeError(f"Prometheus did not become ready; see {state / 'logs' / 'prometheus.log'}")

"""The real handlers against the in-process embedded API server, with no processes started.

As Kubebuilder's envtest suites do: a real API server (ours), the CRDs applied, the
controllers' reconcile functions called directly; Jobs and pods are given the status a
kubelet would give them by the test itself.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from modelops.api import crds
from modelops.controllers.context import Context
from modelops.decide.plan import Event
from modelops.kube.client import Kube
from modelops.local.apiserver import ApiServer
from modelops.settings import Settings

NS = "ml"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Harness:
    """A Context whose Events land in a list, and a few helpers that act as the kubelet."""

    ctx: Context
    kube: Kube
    events: list[Event] = field(default_factory=list)

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events]

    async def finish_job(
        self, name: str, outcome: str, summary: dict[str, Any], exit_code: int = 0
    ) -> None:
        """Mark Job ``name`` Complete or Failed, with one pod that left ``summary``."""
        job = await self.kube.get("batch/v1", "Job", NS, name)
        template = job["spec"]["template"]
        terminated = {
            "exitCode": exit_code,
            "message": json.dumps(summary),
            "finishedAt": "2026-05-01T11:59:00Z",
        }
        await self.kube.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{name}-pod",
                    "namespace": NS,
                    "labels": template["metadata"]["labels"],
                    "ownerReferences": [
                        {
                            "apiVersion": "batch/v1",
                            "kind": "Job",
                            "name": name,
                            "uid": job["metadata"]["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": template["spec"],
            }
        )
        await self.kube.patch(
            "v1",
            "Pod",
            NS,
            f"{name}-pod",
            {"status": {"containerStatuses": [{"name": "c", "state": {"terminated": terminated}}]}},
            subresource="status",
        )
        condition = {"type": outcome, "status": "True", "reason": outcome}
        counts = {"succeeded": 1} if outcome == "Complete" else {"failed": 1}
        await self.kube.patch(
            "batch/v1",
            "Job",
            NS,
            name,
            {"status": {"conditions": [condition], "startTime": "2026-05-01T11:58:00Z", **counts}},
            subresource="status",
        )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    server = await ApiServer.start(tmp_path / "state")
    session = aiohttp.ClientSession(headers={"Accept": "application/json"})
    try:
        base = f"{server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        for kind in crds.KINDS:
            async with session.post(base, json=crds.render_crd(kind)) as answer:
                assert answer.status < 300, await answer.text()
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
        async with session.post(f"{server.url}/api/v1/namespaces", json=namespace) as answer:
            assert answer.status < 300 or answer.status == 409, await answer.text()
        kube = Kube(session, server.url, retries=2)
        events: list[Event] = []
        settings = Settings(artifact_root="file:///artifacts")
        ctx = Context(kube=kube, settings=settings, now=lambda: NOW, post=events.append)
        yield Harness(ctx, kube, events)
    finally:
        await session.close()
        await server.stop()

"""The local kubelet runs Jobs, Deployments and Services of the embedded API for real."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from modelops.local.apiserver import ApiServer, FaultConfig
from modelops.local.kubelet import Kubelet
from modelops.local.kubelet.client import (
    DEPLOYMENTS,
    JOBS,
    PODS,
    SECRETS,
    SERVICES,
    ApiClient,
    ApiError,
)

Obj = dict[str, Any]
NS = "default"
HTTP_APP = Path(__file__).parent / "fixtures_kubelet" / "http_app.py"


@dataclass
class Live:
    api: ApiClient
    server: ApiServer
    state: Path
    kubelet: Kubelet

    async def pods(self, **labels: str) -> list[Obj]:
        items: list[Obj] = (await self.api.list(PODS.collection(NS)))["items"]
        return [
            p
            for p in items
            if all(p["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())
        ]

    async def job(self, name: str) -> Obj:
        found = await self.api.get(JOBS.item(NS, name))
        assert found is not None
        return found

    async def deployment(self, name: str) -> Obj:
        found = await self.api.get(DEPLOYMENTS.item(NS, name))
        assert found is not None
        return found


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    server = await ApiServer.start(tmp_path / "api")
    kubelet = await Kubelet.start(server.url, tmp_path / "kubelet")
    api = ApiClient(server.url)
    try:
        yield Live(api, server, tmp_path / "kubelet", kubelet)
    finally:
        await api.close()
        await kubelet.stop()
        await server.stop()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last answer."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            result = await check()
        except ApiError as exc:  # only the fault-injecting server answers errors
            result = exc
        if result and not isinstance(result, ApiError):
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {within}s; last result: {result!r}")
        await asyncio.sleep(0.2)


def python(code: str) -> list[str]:
    return ["python", "-c", code]


def job(name: str, command: list[str], **spec: Any) -> Obj:
    container = {"name": "main", "image": "modelops:dev", "command": command}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
            **spec,
        },
    }


def condition(obj: Obj, type_: str) -> Obj | None:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond["type"] == type_ and cond["status"] == "True":
            return dict(cond)
    return None


def pid_of(pod: Obj) -> int:
    status = pod["status"]["containerStatuses"][0]
    return int(status["containerID"].removeprefix("local://"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# Jobs


async def test_a_failing_job_is_retried_up_to_its_backoff_limit(live: Live) -> None:
    await live.api.create(JOBS.collection(NS), job("fails", python("exit(1)"), backoffLimit=1))
    failed = await eventually(lambda: _finished(live, "fails", "Failed"))
    assert failed["reason"] == "BackoffLimitExceeded"
    status = (await live.job("fails"))["status"]
    assert (status["failed"], status["active"]) == (2, 0)
    pods = await live.pods(**{"job-name": "fails"})
    assert [p["status"]["phase"] for p in pods] == ["Failed", "Failed"]
    assert {
        p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] for p in pods
    } == {1}


async def test_a_succeeding_job_completes_with_its_termination_message(live: Live) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": NS},
        "data": {"token": base64.b64encode(b"s3cret").decode()},
    }
    await live.api.create(SECRETS.collection(NS), secret)
    write = (
        "import os; print('training'); "
        "open(os.environ['MODELOPS_TERMINATION_MESSAGE_PATH'], 'w')"
        ".write('token=' + os.environ['TOKEN'])"
    )
    body = job("trains", python(write))
    body["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}
    ]
    await live.api.create(JOBS.collection(NS), body)
    await eventually(lambda: _finished(live, "trains", "Complete"))
    status = (await live.job("trains"))["status"]
    assert status["succeeded"] == 1
    assert "completionTime" in status
    (pod,) = await live.pods(**{"job-name": "trains"})
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert terminated["message"] == "token=s3cret"
    log = live.state / "logs" / f"{NS}_{pod['metadata']['name']}.log"
    assert log.read_text().strip() == "training"
    live.server.pod_logs = live.kubelet.read_log
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{live.server.url}{PODS.item(NS, pod['metadata']['name'], 'log')}") as resp,
    ):
        assert (await resp.text()).strip() == "training", "kubectl logs shows the output"


async def test_a_finished_job_with_a_ttl_is_deleted_with_its_pods(live: Live) -> None:
    body = job("brief", python("print('ran')"), ttlSecondsAfterFinished=0)
    await live.api.create(JOBS.collection(NS), body)
    await eventually(lambda: _absent(live.api.get(JOBS.item(NS, "brief"))))
    await eventually(lambda: _absent(live.pods(**{"job-name": "brief"})))
    (log,) = (live.state / "logs").glob(f"{NS}_brief-*.log")
    assert log.read_text() == "ran\n", "the Job ran before it was deleted"


async def test_a_claim_mount_is_a_directory_that_outlives_the_pod(live: Live) -> None:
    body = job("writes", ["sh", "-c", "echo weights > /models/model.txt"])
    template = body["spec"]["template"]["spec"]
    template["volumes"] = [{"name": "models", "persistentVolumeClaim": {"claimName": "store"}}]
    template["containers"][0]["volumeMounts"] = [{"name": "models", "mountPath": "/models"}]
    await live.api.create(JOBS.collection(NS), body)
    await eventually(lambda: _finished(live, "writes", "Complete"))
    written = live.state / "volumes" / NS / "store" / "model.txt"
    assert written.read_text() == "weights\n"


async def test_the_active_deadline_kills_a_long_job(live: Live) -> None:
    body = job("slow", python("import time; time.sleep(60)"), activeDeadlineSeconds=2)
    await live.api.create(JOBS.collection(NS), body)
    running = await eventually(lambda: _running_pods(live, "slow"))
    pid = pid_of(running[0])
    failed = await eventually(lambda: _finished(live, "slow", "Failed"))
    assert failed["reason"] == "DeadlineExceeded"
    await eventually(lambda: _gone(pid), within=15)


async def test_a_suspended_job_runs_no_pod_until_resumed(live: Live) -> None:
    await live.api.create(JOBS.collection(NS), job("held", python("pass"), suspend=True))
    await eventually(lambda: _finished(live, "held", "Suspended"))
    await asyncio.sleep(1.5)
    assert await live.pods(**{"job-name": "held"}) == []
    await live.api.patch(JOBS.item(NS, "held"), {"spec": {"suspend": False}})
    await eventually(lambda: _finished(live, "held", "Complete"))


async def _finished(live: Live, name: str, type_: str) -> Obj | None:
    return condition(await live.job(name), type_)


async def _running_pods(live: Live, job_name: str) -> list[Obj]:
    pods = await live.pods(**{"job-name": job_name})
    return [p for p in pods if p.get("status", {}).get("phase") == "Running"]


async def _absent(found: Awaitable[Any]) -> bool:
    return not await found


async def _gone(*pids: int) -> bool:
    return not any(alive(p) for p in pids)


# Deployments and Services


def deployment(name: str, replicas: int, version: str = "v1") -> Obj:
    container = {
        "name": "server",
        "image": "modelops:dev",
        "command": ["python", str(HTTP_APP)],
        "env": [{"name": "VERSION", "value": version}],
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"terminationGracePeriodSeconds": 2, "containers": [container]},
            },
        },
    }


def service(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


async def _rolled_out(live: Live, name: str, replicas: int) -> Obj | None:
    dep = await live.deployment(name)
    status = dep.get("status", {})
    done = (
        status.get("observedGeneration") == dep["metadata"]["generation"]
        and status.get("replicas") == status.get("updatedReplicas") == replicas
        and status.get("readyReplicas") == status.get("availableReplicas") == replicas
    )
    return dep if done else None


async def _service_port(live: Live, name: str) -> int | None:
    svc = await live.api.get(SERVICES.item(NS, name))
    ingress = (svc or {}).get("status", {}).get("loadBalancer", {}).get("ingress")
    return int(ingress[0]["ports"][0]["port"]) if ingress else None


async def _get(port: int) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/") as resp,
    ):
        return await resp.text()


async def _pids(live: Live, app: str) -> set[int]:
    return {
        pid_of(p) for p in await live.pods(app=app) if p.get("status", {}).get("phase") == "Running"
    }


async def test_a_deployment_becomes_ready_and_answers_through_its_service(live: Live) -> None:
    await live.api.create(DEPLOYMENTS.collection(NS), deployment("web", replicas=1))
    await live.api.create(SERVICES.collection(NS), service("web"))
    dep = await eventually(lambda: _rolled_out(live, "web", 1))
    conditions = {c["type"]: c["reason"] for c in dep["status"]["conditions"]}
    assert conditions == {
        "Available": "MinimumReplicasAvailable",
        "Progressing": "NewReplicaSetAvailable",
    }
    (pod,) = await live.pods(app="web")
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert pod["status"]["podIP"] == "127.0.0.1"
    port = await eventually(lambda: _service_port(live, "web"))
    assert await _get(port) == f"{pod['metadata']['name']} v1"


async def test_scaling_changes_the_number_of_processes(live: Live) -> None:
    await live.api.create(DEPLOYMENTS.collection(NS), deployment("scaled", replicas=1))
    await live.api.create(SERVICES.collection(NS), service("scaled"))
    await eventually(lambda: _rolled_out(live, "scaled", 1))
    scale = {"spec": {"replicas": 3}}
    await live.api.patch(DEPLOYMENTS.item(NS, "scaled", "scale"), scale)
    await eventually(lambda: _rolled_out(live, "scaled", 3))
    pids = await _pids(live, "scaled")
    assert len(pids) == 3
    assert all(alive(p) for p in pids)
    port = await eventually(lambda: _service_port(live, "scaled"))
    answers = {await _get(port) for _ in range(6)}
    assert len(answers) == 3, "the Service balances over every ready replica"
    await live.api.patch(DEPLOYMENTS.item(NS, "scaled"), {"spec": {"replicas": 1}})
    await eventually(lambda: _rolled_out(live, "scaled", 1))
    remaining = await _pids(live, "scaled")
    assert len(remaining) == 1
    await eventually(lambda: _gone(*(pids - remaining)))


async def test_a_template_change_rolls_over_to_new_processes(live: Live) -> None:
    await live.api.create(DEPLOYMENTS.collection(NS), deployment("rolled", replicas=2))
    await live.api.create(SERVICES.collection(NS), service("rolled"))
    await eventually(lambda: _rolled_out(live, "rolled", 2))
    old = await _pids(live, "rolled")
    port = await eventually(lambda: _service_port(live, "rolled"))
    patch = {"spec": {"template": deployment("rolled", 2, version="v2")["spec"]["template"]}}
    await live.api.patch(DEPLOYMENTS.item(NS, "rolled"), patch)
    answers: list[str] = []

    async def rolled_and_serving() -> Obj | None:
        answers.append(await _get(port))
        return await _rolled_out(live, "rolled", 2)

    await eventually(rolled_and_serving)
    assert all(a.endswith((" v1", " v2")) for a in answers), "the Service kept answering"
    assert (await _pids(live, "rolled")).isdisjoint(old)
    assert {(await _get(port)).split()[1] for _ in range(4)} == {"v2"}
    await eventually(lambda: _gone(*old))


async def test_deleting_a_deployment_stops_its_processes(live: Live) -> None:
    await live.api.create(DEPLOYMENTS.collection(NS), deployment("doomed", replicas=2))
    await eventually(lambda: _rolled_out(live, "doomed", 2))
    pids = await _pids(live, "doomed")
    await live.api.delete(DEPLOYMENTS.item(NS, "doomed"))
    await eventually(lambda: _gone(*pids))
    await eventually(lambda: _no_pods(live, "doomed"))


async def _no_pods(live: Live, app: str) -> bool:
    return not await live.pods(app=app)


async def test_a_crashing_container_is_restarted_with_back_off(live: Live) -> None:
    crashing = deployment("crashy", replicas=1)
    container = crashing["spec"]["template"]["spec"]["containers"][0]
    container["command"] = python("print('boom'); exit(3)")
    await live.api.create(DEPLOYMENTS.collection(NS), crashing)

    async def restarted() -> Obj | None:
        pods = await live.pods(app="crashy")
        statuses = [p.get("status", {}).get("containerStatuses", [{}])[0] for p in pods]
        return next((s for s in statuses if s.get("restartCount", 0) >= 2), None)

    status = await eventually(restarted)
    assert status["lastState"]["terminated"]["exitCode"] == 3
    assert len(await live.pods(app="crashy")) == 1, "restarts happen in place"
    assert (await live.deployment("crashy"))["status"].get("readyReplicas", 0) == 0


async def test_after_a_kubelet_restart_deployments_return_and_jobs_keep_their_outcome(
    live: Live,
) -> None:
    await live.api.create(JOBS.collection(NS), job("done", python("pass")))
    await live.api.create(JOBS.collection(NS), job("busy", python("import time; time.sleep(60)")))
    await live.api.create(DEPLOYMENTS.collection(NS), deployment("back", replicas=1))
    await live.api.create(SERVICES.collection(NS), service("back"))
    await eventually(lambda: _finished(live, "done", "Complete"))
    await eventually(lambda: _running_pods(live, "busy"))
    await eventually(lambda: _rolled_out(live, "back", 1))
    port = await eventually(lambda: _service_port(live, "back"))
    before = await _pids(live, "back") | {pid_of(p) for p in await _running_pods(live, "busy")}

    await live.kubelet.stop()
    assert await _gone(*before), "stopping the kubelet leaves no process behind"
    live.kubelet = await Kubelet.start(live.server.url, live.state)

    async def restarted_and_ready() -> Obj | None:
        (pod,) = await live.pods(app="back")
        status = pod["status"]["containerStatuses"][0]
        return pod if status["restartCount"] == 1 and status["ready"] else None

    pod = await eventually(restarted_and_ready)
    assert alive(pid_of(pod))
    await eventually(lambda: _rolled_out(live, "back", 1))
    assert await eventually(lambda: _get(port)), "the Service keeps its port"
    assert len(await live.pods(**{"job-name": "done"})) == 1
    assert condition(await live.job("done"), "Complete") is not None

    async def retried() -> list[Obj]:
        pods = await live.pods(**{"job-name": "busy"})
        return pods if len(pods) == 2 else []

    pods = await eventually(retried)
    lost = [p for p in pods if p["status"]["phase"] == "Failed"]
    assert lost[0]["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "Unknown"
    assert (await live.job("busy"))["status"]["failed"] == 1


# A misbehaving API


async def test_jobs_and_deployments_converge_despite_api_faults(tmp_path: Path) -> None:
    faults = FaultConfig(
        error_rate=0.05,
        conflict_rate=0.05,
        watch_drop_rate=0.05,
        watch_gone_rate=0.3,
        seed=7,
    )
    server = await ApiServer.start(tmp_path / "api", faults=faults)
    kubelet = await Kubelet.start(server.url, tmp_path / "kubelet")
    live = Live(ApiClient(server.url), server, tmp_path / "kubelet", kubelet)
    try:
        await eventually(
            lambda: live.api.create(JOBS.collection(NS), job("sturdy", python("exit(0)")))
        )
        await eventually(
            lambda: live.api.create(DEPLOYMENTS.collection(NS), deployment("steady", replicas=2))
        )
        await eventually(lambda: _finished(live, "sturdy", "Complete"), within=30)
        await eventually(lambda: _rolled_out(live, "steady", 2), within=30)
        assert len(await eventually(lambda: live.pods(**{"job-name": "sturdy"}))) == 1
    finally:
        await live.api.close()
        await kubelet.stop()
        await server.stop()

"""Built-in kinds come back with the fields the real API server fills in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from modelops.local.apiserver import ApiServer

from .conftest import Api, ThreadedApiServer

NS = "/api/v1/namespaces"
CMS = f"{NS}/default/configmaps"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
MERGE = {"Content-Type": "application/merge-patch+json"}
APPLY = {"Content-Type": "application/apply-patch+yaml"}

Obj = dict[str, Any]


def job(name: str) -> Obj:
    container = {"name": "main", "image": "x", "command": ["true"]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"restartPolicy": "Never", "containers": [container]},
            }
        },
    }


async def test_a_job_selects_its_own_pods_by_controller_uid(api: Api) -> None:
    created = await api.ok("POST", JOBS, job("train"))
    uid = created["metadata"]["uid"]
    assert created["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
    }
    labels = created["spec"]["template"]["metadata"]["labels"]
    assert labels["app"] == "train"
    assert labels["controller-uid"] == labels["batch.kubernetes.io/controller-uid"] == uid
    assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "train"


async def test_a_job_with_a_manual_selector_keeps_it(api: Api) -> None:
    body = job("manual")
    body["spec"]["manualSelector"] = True
    body["spec"]["selector"] = {"matchLabels": {"app": "manual"}}
    created = await api.ok("POST", JOBS, body)
    assert created["spec"]["selector"] == {"matchLabels": {"app": "manual"}}
    assert "controller-uid" not in created["spec"]["template"]["metadata"]["labels"]


SAME: Obj = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "same"},
    "data": {"k": "v"},
}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("PATCH", f"{CMS}/same", MERGE, {"data": {"k": "v"}}),
        ("PUT", f"{CMS}/same", {}, SAME),
        ("PATCH", f"{CMS}/same?fieldManager=me", APPLY, SAME),
    ],
)
async def test_a_write_that_changes_nothing_returns_the_current_resource_version(
    api: Api, method: str, path: str, headers: dict[str, str], body: Obj
) -> None:
    if headers is APPLY:
        created = await api.ok(method, path, body, headers=headers)
    else:
        created = await api.ok("POST", CMS, SAME)
    version = created["metadata"]["resourceVersion"]
    for _ in range(2):
        same = await api.ok(method, path, body, headers=headers)
        assert same["metadata"]["resourceVersion"] == version
    read = await api.ok("GET", f"{CMS}/same")
    assert read["metadata"]["resourceVersion"] == version


async def test_a_secret_defaults_to_opaque_and_keeps_string_data_as_data(api: Api) -> None:
    created = await api.ok(
        "POST", f"{NS}/default/secrets", {"metadata": {"name": "s"}, "stringData": {"a": "b"}}
    )
    assert created["type"] == "Opaque"
    assert created["data"] == {"a": "Yg=="}
    assert "stringData" not in created


async def test_only_kinds_with_a_desired_state_carry_a_generation(api: Api) -> None:
    config_map = await api.ok("POST", CMS, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    assert "generation" not in config_map["metadata"]
    changed = await api.ok("PATCH", f"{CMS}/c", {"data": {"a": "2"}}, headers=MERGE)
    assert "generation" not in changed["metadata"]
    service = await api.ok(
        "POST", f"{NS}/default/services", {"metadata": {"name": "s"}, "spec": {"ports": []}}
    )
    assert "generation" not in service["metadata"]
    created = await api.ok("POST", JOBS, job("j"))
    assert created["metadata"]["generation"] == 1


async def test_a_new_namespace_is_labelled_and_furnished(api: Api) -> None:
    created = await api.ok("POST", NS, {"metadata": {"name": "team"}})
    assert created["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    relabelled = await api.ok(
        "PUT", f"{NS}/team", {"metadata": {"name": "team", "labels": {"a": "b"}}}
    )
    assert relabelled["metadata"]["labels"] == {"a": "b", "kubernetes.io/metadata.name": "team"}
    await api.ok("GET", f"{NS}/team/serviceaccounts/default")
    root_ca = await api.ok("GET", f"{NS}/team/configmaps/kube-root-ca.crt")
    assert "ca.crt" in root_ca["data"]
    await api.ok("GET", f"{NS}/default/serviceaccounts/default")


async def test_healthz_answers_ok_as_text(apiserver: ApiServer, api: Api) -> None:
    for path in ("/healthz", "/readyz", "/livez"):
        async with api.session.get(path) as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            assert await response.text() == "ok"


def test_the_kubernetes_client_reads_a_secret_type_and_namespace_label(
    threaded_apiserver: ThreadedApiServer, kubeconfig: Path
) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
    namespace = core.read_namespace("team")
    assert namespace.metadata.labels["kubernetes.io/metadata.name"] == "team"
    secret = core.create_namespaced_secret(
        "team", client.V1Secret(metadata=client.V1ObjectMeta(name="s"), string_data={"a": "b"})
    )
    assert secret.type == "Opaque"
    assert [a.metadata.name for a in core.list_namespaced_service_account("team").items] == [
        "default"
    ]

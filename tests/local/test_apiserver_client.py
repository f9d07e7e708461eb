"""The official `kubernetes` Python client works against the embedded API."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from .conftest import ThreadedApiServer, load_fixture


@pytest.fixture
def core(kubeconfig: Path) -> client.CoreV1Api:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    return client.CoreV1Api(api_client)


def _configmap(name: str, value: str = "1") -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels={"app": "t"}), data={"k": value}
    )


def test_create_list_patch_delete(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", _configmap("a"))
    assert created.metadata.uid
    listed = core.list_namespaced_config_map("default", label_selector="app=t")
    assert [c.metadata.name for c in listed.items] == ["a"]
    patched = core.patch_namespaced_config_map("a", "default", {"data": {"k": "2"}})
    assert patched.data == {"k": "2"}
    core.delete_namespaced_config_map("a", "default")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("a", "default")
    assert missing.value.status == 404


def test_update_with_a_stale_version_raises_409(core: client.CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", _configmap("a"))
    core.patch_namespaced_config_map("a", "default", {"data": {"k": "2"}})
    first.data = {"k": "3"}
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("a", "default", first)
    assert conflict.value.status == 409


def test_watch_streams_changes_after_the_listed_version(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _configmap("before"))
    version = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", _configmap("after"))
    stream = watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=version, timeout_seconds=2
    )
    seen = [(e["type"], e["object"].metadata.name) for e in stream]
    assert seen == [("ADDED", "after")]


def test_watch_from_an_expired_version_raises_410(
    threaded_apiserver: ThreadedApiServer, core: client.CoreV1Api
) -> None:
    old = core.create_namespaced_config_map("default", _configmap("a")).metadata.resource_version
    core.patch_namespaced_config_map("a", "default", {"data": {"k": "2"}})
    threaded_apiserver.call(_compact(threaded_apiserver))
    with pytest.raises(ApiException) as expired:
        list(
            watch.Watch().stream(
                core.list_namespaced_config_map, "default", resource_version=old, timeout_seconds=2
            )
        )
    assert expired.value.status == 410


async def _compact(running: ThreadedApiServer) -> None:
    """Compact the watch history inside the server's own loop (it is not thread-safe)."""
    running.server.compact()


def test_custom_objects_round_trip(kubeconfig: Path) -> None:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    client.ApiextensionsV1Api(api_client).create_custom_resource_definition(
        load_fixture("widgets.example.dev.yaml")
    )
    custom = client.CustomObjectsApi(api_client)
    custom.create_namespaced_custom_object(
        "example.dev", "v1", "default", "widgets", load_fixture("widget.yaml")
    )
    custom.patch_namespaced_custom_object_status(
        "example.dev", "v1", "default", "widgets", "w1", {"status": {"replicas": 1}}
    )
    widget = custom.get_namespaced_custom_object("example.dev", "v1", "default", "widgets", "w1")
    assert widget["status"] == {"replicas": 1}
    assert widget["spec"]["replicas"] == 1
    with pytest.raises(ApiException) as invalid:
        custom.patch_namespaced_custom_object(
            "example.dev", "v1", "default", "widgets", "w1", {"spec": {"replicas": -2}}
        )
    assert invalid.value.status == 422
    assert "spec.replicas" in invalid.value.body

"""Lists and watches as informers and paginating clients rely on them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from modelops.local.apiserver import ApiServer

from .conftest import Api

CMS = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
MERGE = {"Content-Type": "application/merge-patch+json"}
METADATA = {"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"}

Obj = dict[str, Any]


def labelled(name: str, **labels: str) -> Obj:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


async def events_of(
    api: Api, path: str, count: int, headers: dict[str, str] | None = None
) -> list[Obj]:
    events: list[Obj] = []
    async with api.session.get(path, headers=headers) as response:
        assert response.status == 200
        async with asyncio.timeout(5):
            async for line in response.content:
                events.append(json.loads(line))
                if len(events) == count:
                    break
    return events


async def test_a_selector_watch_sees_objects_enter_and_leave_its_selection(api: Api) -> None:
    await api.ok("POST", CMS, labelled("c", tier="silver"))
    version = (await api.ok("GET", CMS))["metadata"]["resourceVersion"]
    watching = asyncio.create_task(
        events_of(api, f"{CMS}?watch=1&labelSelector=tier%3Dgold&resourceVersion={version}", 3)
    )
    await asyncio.sleep(0.1)
    for tier in ("gold", "silver"):
        await api.ok("PATCH", f"{CMS}/c", {"metadata": {"labels": {"tier": tier}}}, headers=MERGE)
    await api.ok("POST", CMS, labelled("d", tier="gold"))
    events = await watching
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "c"),
        ("DELETED", "c"),
        ("ADDED", "d"),
    ]
    assert events[1]["object"]["metadata"]["labels"] == {"tier": "silver"}


async def test_pages_of_a_list_are_one_snapshot(api: Api) -> None:
    for name in "abcde":
        await api.ok("POST", CMS, labelled(name, page="yes"))
    first = await api.ok("GET", f"{CMS}?labelSelector=page&limit=2")
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    assert first["metadata"]["remainingItemCount"] == 3
    await api.ok("DELETE", f"{CMS}/c")
    await api.ok("POST", CMS, labelled("bb", page="yes"))
    await api.ok("PATCH", f"{CMS}/d", {"data": {"k": "changed"}}, headers=MERGE)
    token = first["metadata"]["continue"]
    rest = await api.ok("GET", f"{CMS}?labelSelector=page&limit=10&continue={token}")
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c", "d", "e"]
    assert rest["items"][1]["data"] == {"k": "v"}
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert "continue" not in rest["metadata"]


async def test_an_expired_or_malformed_continue_token_answers_a_status(
    apiserver: ApiServer, api: Api
) -> None:
    for name in "abc":
        await api.ok("POST", CMS, labelled(name))
    token = (await api.ok("GET", f"{CMS}?limit=1"))["metadata"]["continue"]
    status, answer = await api.call("GET", f"{CMS}?limit=1&continue=not-a-token")
    assert (status, answer["kind"], answer["reason"]) == (400, "Status", "BadRequest")
    await api.ok("POST", CMS, labelled("d"))
    apiserver.compact()
    status, answer = await api.call("GET", f"{CMS}?limit=1&continue={token}")
    assert (status, answer["kind"], answer["reason"]) == (410, "Status", "Expired")
    status, answer = await api.call("GET", f"{CMS}?limit=many")
    assert status == 400


def test_the_kubernetes_client_pages_through_a_list(kubeconfig: Path) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    for name in "abc":
        core.create_namespaced_config_map("default", labelled(name, page="yes"))
    first = core.list_namespaced_config_map("default", label_selector="page", limit=2)
    core.delete_namespaced_config_map("c", "default")
    rest = core.list_namespaced_config_map(
        "default", label_selector="page", limit=2, _continue=first.metadata._continue
    )
    assert [c.metadata.name for c in first.items + rest.items] == ["a", "b", "c"]
    with pytest.raises(ApiException) as bad:
        core.list_namespaced_config_map("default", limit=1, _continue="garbage")
    assert bad.value.status == 400
    assert json.loads(bad.value.body)["kind"] == "Status"


async def test_a_field_selector_on_an_unsupported_field_is_a_bad_request(api: Api) -> None:
    status, answer = await api.call("GET", f"{CMS}?fieldSelector=data.k%3Dv")
    assert status == 400
    assert "field label not supported" in answer["message"]
    status, _ = await api.call("GET", f"{CMS}?watch=1&fieldSelector=data.k%3Dv")
    assert status == 400
    assert (await api.call("GET", f"{PODS}?fieldSelector=status.phase%3DRunning"))[0] == 200
    events = "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dx"
    assert (await api.call("GET", events))[0] == 200


async def test_send_initial_events_ends_with_the_initial_events_end_bookmark(api: Api) -> None:
    await api.ok("POST", CMS, labelled("a", t="1"))
    await api.ok("POST", CMS, labelled("b", t="1"))
    path = (
        f"{CMS}?watch=1&labelSelector=t&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    )
    events = await events_of(api, path, 3)
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    bookmark = events[2]["object"]["metadata"]
    assert bookmark["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["resourceVersion"]) >= int(
        events[1]["object"]["metadata"]["resourceVersion"]
    )


async def test_metadata_only_lists_gets_and_watches_carry_only_metadata(api: Api) -> None:
    await api.ok("POST", CMS, labelled("a", t="1"))
    listed = await api.ok("GET", f"{CMS}?labelSelector=t", headers=METADATA)
    assert listed["kind"] == "PartialObjectMetadataList"
    assert listed["apiVersion"] == "meta.k8s.io/v1"
    (item,) = listed["items"]
    assert item["kind"] == "PartialObjectMetadata"
    assert set(item) == {"kind", "apiVersion", "metadata"}
    one = {"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"}
    got = await api.ok("GET", f"{CMS}/a", headers=one)
    assert (got["kind"], "data" in got) == ("PartialObjectMetadata", False)
    (event,) = await events_of(api, f"{CMS}?watch=1&labelSelector=t", 1, headers=one)
    assert event["object"]["kind"] == "PartialObjectMetadata"


def test_a_kubernetes_client_selector_watch_sees_a_relabelled_object_leave(
    kubeconfig: Path,
) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    core.create_namespaced_config_map("default", labelled("c", tier="gold"))
    version = core.list_namespaced_config_map("default").metadata.resource_version
    core.patch_namespaced_config_map("c", "default", {"metadata": {"labels": {"tier": "silver"}}})
    stream = watch.Watch().stream(
        core.list_namespaced_config_map,
        "default",
        label_selector="tier=gold",
        resource_version=version,
        timeout_seconds=2,
    )
    assert [(e["type"], e["object"].metadata.name) for e in stream] == [("DELETED", "c")]

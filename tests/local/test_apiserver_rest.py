"""The embedded API's REST semantics, exercised over HTTP as any client would."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from modelops.local.apiserver import ApiServer, FaultConfig

from .conftest import Api, load_fixture

CMS = "/api/v1/namespaces/default/configmaps"
WIDGETS = "/apis/example.dev/v1/namespaces/default/widgets"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}

Obj = dict[str, Any]


@pytest.fixture
async def widgets(api: Api) -> Api:
    await api.ok("POST", CRDS, load_fixture("widgets.example.dev.yaml"))
    return api


def configmap(name: str, **labels: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": "v"},
    }


async def watch_lines(api: Api, path: str, count: int) -> list[Obj]:
    """The first `count` events of a watch."""
    events: list[Obj] = []
    async with api.session.get(path) as response:
        assert response.status == 200
        async with asyncio.timeout(5):
            async for line in response.content:
                events.append(json.loads(line))
                if len(events) == count:
                    break
    return events


async def test_create_stamps_metadata_and_every_write_raises_the_resource_version(api: Api) -> None:
    created = await api.ok("POST", CMS, configmap("a"))
    meta = created["metadata"]
    assert meta["namespace"] == "default"
    assert meta["uid"]
    assert meta["creationTimestamp"]
    updated = await api.ok("PATCH", f"{CMS}/a", {"data": {"k": "w"}}, headers=MERGE)
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    other = await api.ok("POST", CMS, {"metadata": {"generateName": "gen-"}})
    assert other["metadata"]["name"].startswith("gen-")
    assert len(other["metadata"]["name"]) == 9
    listed = await api.ok("GET", CMS)
    assert listed["kind"] == "ConfigMapList"
    assert listed["apiVersion"] == "v1"
    assert int(listed["metadata"]["resourceVersion"]) >= int(other["metadata"]["resourceVersion"])
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == [
        "a",
        other["metadata"]["name"],
        "kube-root-ca.crt",
    ]


async def test_generation_rises_on_spec_changes_only(widgets: Api) -> None:
    await widgets.ok("POST", WIDGETS, load_fixture("widget.yaml"))
    labelled = await widgets.ok(
        "PATCH", f"{WIDGETS}/w1", {"metadata": {"labels": {"x": "y"}}}, headers=MERGE
    )
    assert labelled["metadata"]["generation"] == 1
    status = await widgets.ok(
        "PATCH", f"{WIDGETS}/w1/status", {"status": {"replicas": 2}}, headers=MERGE
    )
    assert status["metadata"]["generation"] == 1
    assert status["status"] == {"replicas": 2}
    changed = await widgets.ok("PATCH", f"{WIDGETS}/w1", {"spec": {"size": "large"}}, headers=MERGE)
    assert changed["metadata"]["generation"] == 2


async def test_main_endpoint_ignores_status_and_status_endpoint_ignores_spec(widgets: Api) -> None:
    await widgets.ok("POST", WIDGETS, load_fixture("widget.yaml"))
    both = {"spec": {"size": "large"}, "status": {"replicas": 9}}
    main = await widgets.ok("PATCH", f"{WIDGETS}/w1", both, headers=MERGE)
    assert "status" not in main
    assert main["spec"]["size"] == "large"
    status = await widgets.ok(
        "PATCH",
        f"{WIDGETS}/w1/status",
        {"spec": {"size": "small"}, "status": {"replicas": 9}},
        headers=MERGE,
    )
    assert status["spec"]["size"] == "large"
    assert status["status"]["replicas"] == 9


async def test_stale_resource_version_is_a_conflict(api: Api) -> None:
    created = await api.ok("POST", CMS, configmap("a"))
    await api.ok("PATCH", f"{CMS}/a", {"data": {"k": "2"}}, headers=MERGE)
    stale = created | {"data": {"k": "3"}}
    status, body = await api.call("PUT", f"{CMS}/a", stale)
    assert (status, body["reason"], body["kind"]) == (409, "Conflict", "Status")
    status, body = await api.call(
        "PATCH", f"{CMS}/a", {"metadata": {"resourceVersion": "1"}}, headers=MERGE
    )
    assert status == 409
    status, body = await api.call("POST", CMS, configmap("a"))
    assert (status, body["reason"]) == (409, "AlreadyExists")


async def test_label_and_field_selectors_filter_lists(api: Api) -> None:
    await api.ok("POST", CMS, configmap("a", tier="gold", app="x"))
    await api.ok("POST", CMS, configmap("b", tier="silver"))
    await api.ok("POST", CMS, configmap("c"))

    async def names(query: str) -> list[str]:
        listed = await api.ok("GET", f"{CMS}?{query}")
        return [i["metadata"]["name"] for i in listed["items"]]

    assert await names("labelSelector=tier%3Dgold") == ["a"]
    assert await names("labelSelector=tier%3D%3Dgold") == ["a"]
    assert await names("labelSelector=tier!%3Dgold") == ["b", "c", "kube-root-ca.crt"]
    assert await names("labelSelector=tier+in+(gold,silver)") == ["a", "b"]
    assert await names("labelSelector=tier+notin+(gold)") == ["b", "c", "kube-root-ca.crt"]
    assert await names("labelSelector=tier") == ["a", "b"]
    assert await names("labelSelector=!tier") == ["c", "kube-root-ca.crt"]
    assert await names("labelSelector=tier,app%3Dx") == ["a"]
    assert await names("fieldSelector=metadata.name%3Db") == ["b"]
    assert await names("fieldSelector=metadata.namespace%3Dother") == []
    everywhere = await api.ok("GET", "/api/v1/configmaps?labelSelector=tier")
    assert len(everywhere["items"]) == 2


async def test_watch_from_a_version_sends_only_later_events(api: Api) -> None:
    await api.ok("POST", CMS, configmap("old"))
    listed = await api.ok("GET", CMS)
    version = listed["metadata"]["resourceVersion"]
    watching = asyncio.create_task(watch_lines(api, f"{CMS}?watch=1&resourceVersion={version}", 3))
    await asyncio.sleep(0.1)
    await api.ok("POST", CMS, configmap("new"))
    await api.ok("PATCH", f"{CMS}/new", {"data": {"k": "2"}}, headers=MERGE)
    await api.ok("DELETE", f"{CMS}/new")
    events = await watching
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "new"),
        ("MODIFIED", "new"),
        ("DELETED", "new"),
    ]


async def test_watch_without_version_lists_existing_objects_first(api: Api) -> None:
    await api.ok("POST", CMS, configmap("old"))
    watching = asyncio.create_task(watch_lines(api, f"{CMS}?watch=true", 3))
    await asyncio.sleep(0.1)
    await api.ok("POST", CMS, configmap("new"))
    events = await watching
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "kube-root-ca.crt"),
        ("ADDED", "old"),
        ("ADDED", "new"),
    ]


async def test_watch_sends_bookmarks_and_ends_at_its_timeout(
    apiserver: ApiServer, api: Api
) -> None:
    apiserver.handler.bookmark_seconds = 0.1
    listed = await api.ok("GET", CMS)
    path = (
        f"{CMS}?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion="
        + listed["metadata"]["resourceVersion"]
    )
    started = asyncio.get_running_loop().time()
    async with api.session.get(path) as response:
        lines = [json.loads(line) async for line in response.content]
    assert 0.9 < asyncio.get_running_loop().time() - started < 3
    assert lines
    assert all(e["type"] == "BOOKMARK" for e in lines)
    assert (
        lines[0]["object"]["metadata"]["resourceVersion"] == listed["metadata"]["resourceVersion"]
    )


async def test_watch_from_a_compacted_version_fails_with_410(
    apiserver: ApiServer, api: Api
) -> None:
    created = await api.ok("POST", CMS, configmap("a"))
    await api.ok("PATCH", f"{CMS}/a", {"data": {"k": "2"}}, headers=MERGE)
    apiserver.compact()
    events = await watch_lines(
        api, f"{CMS}?watch=1&resourceVersion={created['metadata']['resourceVersion']}", 1
    )
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410
    assert events[0]["object"]["kind"] == "Status"


async def test_json_patch_with_a_failing_test_is_422_and_changes_nothing(api: Api) -> None:
    await api.ok("POST", CMS, configmap("a"))
    ops = [
        {"op": "replace", "path": "/data/k", "value": "x"},
        {"op": "test", "path": "/data/k", "value": "nope"},
    ]
    status, body = await api.call("PATCH", f"{CMS}/a", ops, headers=JSON_PATCH)
    assert (status, body["kind"]) == (422, "Status")
    assert (await api.ok("GET", f"{CMS}/a"))["data"] == {"k": "v"}
    ops = [
        {"op": "test", "path": "/data/k", "value": "v"},
        {"op": "add", "path": "/data/n", "value": "1"},
    ]
    patched = await api.ok("PATCH", f"{CMS}/a", ops, headers=JSON_PATCH)
    assert patched["data"] == {"k": "v", "n": "1"}


async def test_strategic_merge_patch_merges_containers_by_name(api: Api) -> None:
    deployment = {
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {
                    "containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]
                },
            },
        },
    }
    path = "/apis/apps/v1/namespaces/default/deployments"
    await api.ok("POST", path, deployment)
    change = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}}
    patched = await api.ok(
        "PATCH",
        f"{path}/d",
        change,
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}]
    scale = await api.ok("GET", f"{path}/d/scale")
    assert (scale["kind"], scale["spec"]["replicas"], scale["status"]["selector"]) == (
        "Scale",
        1,
        "app=d",
    )


async def test_server_side_apply_creates_then_merges_and_records_the_manager(api: Api) -> None:
    apply = {"Content-Type": "application/apply-patch+yaml"}
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  one: '1'\n"
    created = await api.ok(
        "PATCH", f"{CMS}/a?fieldManager=me&force=true", raw=document.encode(), headers=apply
    )
    assert created["data"] == {"one": "1"}
    assert [(m["manager"], m["operation"]) for m in created["metadata"]["managedFields"]] == [
        ("me", "Apply")
    ]
    merged = await api.ok(
        "PATCH",
        f"{CMS}/a?fieldManager=me",
        raw=document.replace("one: '1'", "two: '2'").encode(),
        headers=apply,
    )
    assert merged["data"] == {"two": "2"}
    status, _ = await api.call("PATCH", f"{CMS}/a", raw=document.encode(), headers=apply)
    assert status == 422


async def test_finalizers_hold_deletion_until_removed(api: Api) -> None:
    await api.ok("POST", CMS, configmap("a") | {"metadata": {"name": "a", "finalizers": ["x/y"]}})
    deleting = await api.ok("DELETE", f"{CMS}/a")
    assert deleting["metadata"]["deletionTimestamp"]
    assert (await api.ok("GET", f"{CMS}/a"))["metadata"]["deletionTimestamp"]
    await api.ok("PATCH", f"{CMS}/a", {"metadata": {"finalizers": None}}, headers=MERGE)
    status, _ = await api.call("GET", f"{CMS}/a")
    assert status == 404


async def test_deleting_an_owner_collects_its_dependents_recursively(api: Api) -> None:
    owner = await api.ok("POST", CMS, configmap("owner"))

    def owned_by(obj: Obj) -> list[Obj]:
        meta = obj["metadata"]
        return [{"apiVersion": "v1", "kind": "ConfigMap", "name": meta["name"], "uid": meta["uid"]}]

    child = await api.ok(
        "POST", CMS, {"metadata": {"name": "child", "ownerReferences": owned_by(owner)}}
    )
    await api.ok(
        "POST",
        CMS,
        {
            "metadata": {
                "name": "grandchild",
                "finalizers": ["x/y"],
                "ownerReferences": owned_by(child),
            }
        },
    )
    await api.ok("POST", CMS, configmap("bystander"))
    await api.ok("DELETE", f"{CMS}/owner?propagationPolicy=Background")
    remaining = {i["metadata"]["name"]: i for i in (await api.ok("GET", CMS))["items"]}
    assert sorted(remaining) == ["bystander", "grandchild", "kube-root-ca.crt"]
    assert remaining["grandchild"]["metadata"]["deletionTimestamp"]


async def test_custom_resources_are_defaulted_validated_and_pruned(widgets: Api) -> None:
    widget = load_fixture("widget.yaml")
    widget["spec"]["unknown"] = 1  # type: ignore[index]
    created = await widgets.ok("POST", WIDGETS, widget)
    assert created["spec"] == {"size": "small", "serial": "A-1", "replicas": 1}
    status, body = await widgets.call(
        "POST", f"{WIDGETS}?fieldValidation=Strict", widget | {"metadata": {"name": "w2"}}
    )
    assert status == 400
    assert 'unknown field "spec.unknown"' in body["message"]
    bad = {
        "apiVersion": "example.dev/v1",
        "kind": "Widget",
        "metadata": {"name": "bad"},
        "spec": {"size": "huge", "replicas": -1},
    }
    status, body = await widgets.call("POST", WIDGETS, bad)
    assert (status, body["reason"]) == (422, "Invalid")
    assert {c["field"] for c in body["details"]["causes"]} == {"spec.size", "spec.replicas"}
    assert "spec.size" in body["message"]
    status, body = await widgets.call("POST", WIDGETS, bad | {"spec": {}})
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "spec.size"


async def test_immutable_fields_reject_changes(widgets: Api) -> None:
    await widgets.ok("POST", WIDGETS, load_fixture("widget.yaml"))
    status, body = await widgets.call(
        "PATCH", f"{WIDGETS}/w1", {"spec": {"serial": "B-2"}}, headers=MERGE
    )
    assert status == 422
    assert "serial is immutable" in body["message"]
    assert body["details"]["causes"][0]["field"] == "spec.serial"


async def test_crd_scale_subresource_reads_and_writes_its_paths(widgets: Api) -> None:
    await widgets.ok("POST", WIDGETS, load_fixture("widget.yaml"))
    await widgets.ok(
        "PATCH",
        f"{WIDGETS}/w1/status",
        {"status": {"replicas": 1, "selector": "app=w"}},
        headers=MERGE,
    )
    scaled = await widgets.ok(
        "PATCH", f"{WIDGETS}/w1/scale", {"spec": {"replicas": 4}}, headers=MERGE
    )
    assert scaled["apiVersion"] == "autoscaling/v1"
    assert (scaled["spec"], scaled["status"]) == (
        {"replicas": 4},
        {"replicas": 1, "selector": "app=w"},
    )
    assert (await widgets.ok("GET", f"{WIDGETS}/w1"))["spec"]["replicas"] == 4


async def test_deleting_a_namespace_deletes_its_objects(api: Api) -> None:
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "team"}})
    await api.ok("POST", "/api/v1/namespaces/team/configmaps", configmap("a"))
    await api.ok("DELETE", "/api/v1/namespaces/team")
    assert (await api.call("DELETE", "/api/v1/namespaces/default"))[0] == 403
    assert (await api.call("GET", "/api/v1/namespaces/team"))[0] == 404
    assert (await api.call("POST", "/api/v1/namespaces/gone/configmaps", configmap("a")))[0] == 404


async def test_bad_requests_get_kubernetes_status_errors(api: Api) -> None:
    status, body = await api.call("POST", CMS, raw=b"{not json")
    assert (status, body["kind"], body["reason"]) == (400, "Status", "BadRequest")
    status, body = await api.call(
        "POST", CMS, raw=b"a: [", headers={"Content-Type": "application/yaml"}
    )
    assert status == 400
    status, body = await api.call("GET", "/apis/example.dev/v1/namespaces/default/nothings")
    assert (status, body["reason"]) == (404, "NotFound")
    status, body = await api.call("GET", f"{CMS}/missing")
    assert (status, body["details"]["name"]) == (404, "missing")
    status, _ = await api.call("PUT", CMS, configmap("a"))
    assert status == 405
    await api.ok("POST", CMS, configmap("a"))
    status, body = await api.call("PATCH", f"{CMS}/a", {}, headers={"Content-Type": "text/plain"})
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")


async def test_discovery_lists_builtins_and_applied_crds(widgets: Api) -> None:
    groups = await widgets.ok("GET", "/apis")
    assert {"apps", "batch", "example.dev", "coordination.k8s.io"} <= {
        g["name"] for g in groups["groups"]
    }
    core = {r["name"]: r for r in (await widgets.ok("GET", "/api/v1"))["resources"]}
    assert core["configmaps"]["shortNames"] == ["cm"]
    assert "pods/log" in core
    custom = {r["name"]: r for r in (await widgets.ok("GET", "/apis/example.dev/v1"))["resources"]}
    assert custom["widgets"]["shortNames"] == ["wdg"]
    assert custom["widgets"]["categories"] == ["gadgets"]
    assert custom["widgets/scale"]["kind"] == "Scale"
    await widgets.ok("DELETE", f"{CRDS}/widgets.example.dev")
    assert (await widgets.call("GET", "/apis/example.dev/v1"))[0] == 404


async def test_tables_render_printer_columns(widgets: Api) -> None:
    await widgets.ok("POST", WIDGETS, load_fixture("widget.yaml"))
    await widgets.ok(
        "PATCH",
        f"{WIDGETS}/w1/status",
        {
            "status": {
                "conditions": [
                    {"type": "Other", "status": "False"},
                    {"type": "Ready", "status": "True"},
                ]
            }
        },
        headers=MERGE,
    )
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    table = await widgets.ok("GET", WIDGETS, headers=accept)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Size",
        "Replicas",
        "Serial",
        "Age",
    ]
    assert [c["priority"] for c in table["columnDefinitions"]][4] == 1
    assert table["rows"][0]["cells"][:5] == ["w1", "True", "small", 1, "A-1"]
    assert table["rows"][0]["object"]["metadata"]["name"] == "w1"


async def test_state_survives_a_restart_and_versions_keep_rising(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = await ApiServer.start(state)
    async with aiohttp.ClientSession(server.url) as session:
        api = Api(session)
        await api.ok("POST", CRDS, load_fixture("widgets.example.dev.yaml"))
        await api.ok("POST", WIDGETS, load_fixture("widget.yaml"))
        last = (await api.ok("POST", CMS, configmap("a")))["metadata"]["resourceVersion"]
    await server.stop()
    server = await ApiServer.start(state)
    try:
        async with aiohttp.ClientSession(server.url) as session:
            api = Api(session)
            widget = await api.ok("GET", f"{WIDGETS}/w1")
            assert widget["spec"]["size"] == "small"
            after = await api.ok("POST", CMS, configmap("b"))
            assert int(after["metadata"]["resourceVersion"]) > int(last)
    finally:
        await server.stop()


async def test_audit_records_kubernetes_verbs(apiserver: ApiServer, api: Api) -> None:
    await api.ok("POST", CMS, configmap("a"))
    await api.ok("GET", f"{CMS}/a")
    await api.ok("GET", CMS)
    await api.ok("PATCH", f"{CMS}/a", {"data": {}}, headers=MERGE)
    await api.ok("DELETE", f"{CMS}/a")
    verbs = [(r.verb, r.resource, r.namespace) for r in apiserver.audit if r.resource]
    assert verbs == [
        (v, "configmaps", "default") for v in ("create", "get", "list", "patch", "delete")
    ]
    lines = (apiserver.state_dir / "audit.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["verb"] == "delete"


async def test_faults_inject_throttling_with_retry_after(tmp_path: Path) -> None:
    server = await ApiServer.start(
        tmp_path / "s", faults=FaultConfig(throttle_rate=1.0, retry_after_seconds=2)
    )
    try:
        async with aiohttp.ClientSession(server.url) as session:
            async with session.get(CMS) as response:
                assert response.status == 429
                assert response.headers["Retry-After"] == "2"
            async with session.get("/api/v1") as response:
                assert response.status == 200
    finally:
        await server.stop()


async def test_faults_expire_watches_with_410(tmp_path: Path) -> None:
    server = await ApiServer.start(tmp_path / "s", faults=FaultConfig(watch_gone_rate=1.0))
    try:
        async with aiohttp.ClientSession(server.url) as session:
            events = await watch_lines(Api(session), f"{CMS}?watch=1&resourceVersion=1", 1)
        assert (events[0]["type"], events[0]["object"]["code"]) == ("ERROR", 410)
    finally:
        await server.stop()

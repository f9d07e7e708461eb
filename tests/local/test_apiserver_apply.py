"""Server-side apply with field ownership, as Argo CD, Flux, Helm and the operator meet it."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml

from .conftest import Api, Kubectl

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CMS = "/api/v1/namespaces/default/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}

Obj = dict[str, Any]


def deployment(replicas: int | None = 2, image: str = "serve:1", env: bool = True) -> Obj:
    container: Obj = {"name": "main", "image": image, "ports": [{"containerPort": 8080}]}
    if env:
        container["env"] = [{"name": "MODEL", "value": "a"}]
    spec: Obj = {
        "selector": {"matchLabels": {"app": "d"}},
        "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [container]}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}


async def applied(api: Api, manager: str, body: Obj, force: bool = False) -> tuple[int, Obj]:
    query = f"fieldManager={manager}" + ("&force=true" if force else "")
    status, answer = await api.call(
        "PATCH", f"{DEPLOYMENTS}/d?{query}", raw=yaml.safe_dump(body).encode(), headers=APPLY
    )
    return status, answer


def owners(obj: Obj) -> dict[tuple[str, str], Obj]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


async def test_managed_fields_name_each_applied_field_with_list_keys(api: Api) -> None:
    status, created = await applied(api, "gitops", deployment())
    assert status == 201
    fields = owners(created)[("gitops", "Apply")]
    assert "f:replicas" in fields["f:spec"]
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"main"}']
    assert {"f:image", "f:env", "f:ports", "."} <= set(container)
    assert 'k:{"name":"MODEL"}' in container["f:env"]
    assert 'k:{"containerPort":8080}' in container["f:ports"]


async def test_a_second_manager_conflicts_unless_it_forces(api: Api) -> None:
    await applied(api, "gitops", deployment())
    status, answer = await applied(api, "helm", deployment(image="serve:2"))
    assert status == 409
    assert answer["reason"] == "Conflict"
    (cause,) = answer["details"]["causes"]
    assert cause["field"] == '.spec.template.spec.containers[name="main"].image'
    assert 'conflict with "gitops"' in cause["message"]
    status, _ = await applied(api, "helm", deployment())
    assert status == 200, "applying the same values shares ownership without a conflict"
    status, forced = await applied(api, "helm", deployment(image="serve:2"), force=True)
    assert status == 200
    assert forced["spec"]["template"]["spec"]["containers"][0]["image"] == "serve:2"
    gitops = owners(forced)[("gitops", "Apply")]
    container = gitops["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"main"}']
    assert "f:image" not in container


async def test_fields_an_applier_drops_are_removed_unless_another_manager_owns_them(
    api: Api,
) -> None:
    await applied(api, "gitops", deployment())
    status, dropped = await applied(api, "gitops", deployment(env=False))
    assert status == 200
    assert "env" not in dropped["spec"]["template"]["spec"]["containers"][0]
    await api.ok(
        "PATCH",
        f"{DEPLOYMENTS}/d?fieldManager=person",
        {"metadata": {"labels": {"team": "ml"}}},
        headers=MERGE,
    )
    _, kept = await applied(api, "gitops", deployment(env=False))
    assert kept["metadata"]["labels"] == {"team": "ml"}, "another manager's field stays"


async def test_an_hpa_scaling_the_deployment_takes_replicas_from_a_force_apply(api: Api) -> None:
    """What happens to the operator's force-applied replicas once an HPA scales."""
    await applied(api, "modelops", deployment(replicas=2), force=True)
    await api.ok(
        "PATCH",
        f"{DEPLOYMENTS}/d/scale?fieldManager=horizontal-pod-autoscaler",
        {"spec": {"replicas": 5}},
        headers=MERGE,
    )
    scaled = await api.ok("GET", f"{DEPLOYMENTS}/d")
    assert "f:replicas" in owners(scaled)[("horizontal-pod-autoscaler", "Update")]["f:spec"]
    status, _ = await applied(api, "modelops", deployment(replicas=2))
    assert status == 409, "without force the operator would be told about the HPA"
    _, fought = await applied(api, "modelops", deployment(replicas=2), force=True)
    assert fought["spec"]["replicas"] == 2, "force=true takes replicas back from the HPA"
    await api.ok(
        "PATCH",
        f"{DEPLOYMENTS}/d/scale?fieldManager=horizontal-pod-autoscaler",
        {"spec": {"replicas": 5}},
        headers=MERGE,
    )
    _, left = await applied(api, "modelops", deployment(replicas=None), force=True)
    assert left["spec"]["replicas"] == 5, "an apply without replicas leaves the HPA's value"
    assert "f:replicas" not in owners(left)[("modelops", "Apply")]["f:spec"]


async def test_an_update_takes_over_the_fields_it_changes(api: Api) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    await api.ok(
        "PATCH", f"{CMS}/c?fieldManager=gitops", raw=yaml.safe_dump(body).encode(), headers=APPLY
    )
    edited = await api.ok(
        "PATCH", f"{CMS}/c?fieldManager=kubectl-edit", {"data": {"a": "2"}}, headers=MERGE
    )
    assert owners(edited)[("kubectl-edit", "Update")] == {"f:data": {"f:a": {}}}
    assert ("gitops", "Apply") not in owners(edited)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kubectl_server_side_apply_reports_a_conflict(run_kubectl: Kubectl) -> None:
    manifest = yaml.safe_dump(deployment())
    run_kubectl("apply", "--server-side", "--field-manager=gitops", "-f", "-", stdin=manifest)
    changed = yaml.safe_dump(deployment(image="serve:2"))
    out = run_kubectl(
        "apply", "--server-side", "--field-manager=helm", "-f", "-", stdin=changed, check=False
    )
    assert "conflict" in out.lower()
    assert '.spec.template.spec.containers[name="main"].image' in out
    out = run_kubectl(
        "apply", "--server-side", "--field-manager=helm", "--force-conflicts", "-f", "-",
        stdin=changed,
    )  # fmt: skip
    assert "serverside-applied" in out

"""The ModelDeployment planner: owned children only, scan-backed versions, deployedBy."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION
from modelops.api.modelversion import ModelVersionSpec
from modelops.decide import modeldeployment
from modelops.decide.plan import Verb
from modelops.render import batchjobs, serving
from modelops.structs import Owner
from tests.decide.objects import NOW, SETTINGS, job, meta, model_version


def deployment_body(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelDeployment",
        "metadata": meta("alpha", "uid-md"),
        "spec": {"model": "alpha", "replicas": 1, **spec},
        "status": {},
    }


def scan_job(version: dict[str, Any], outcome: str = "Complete") -> dict[str, Any]:
    spec = ModelVersionSpec.model_validate(version["spec"])
    rendered = batchjobs.scan_job(Owner.of(version), spec, SETTINGS, None)
    return job(rendered["metadata"]["name"], version, outcome, template=rendered)


def _plan(body: dict[str, Any] | None, versions: list[Any], scans: list[Any], **children: Any):  # type: ignore[no-untyped-def]
    observed = modeldeployment.Observed(
        body, "alpha", "ml", versions, scans, children.get("children", {}), False
    )
    return modeldeployment.plan(observed, NOW, SETTINGS)


def test_a_scanned_version_is_served_and_marked_deployed() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated")
    plan = _plan(deployment_body(), [v1], [scan_job(v1)])
    applied = {(w.ref.kind, w.ref.name) for w in plan.writes if w.verb == Verb.APPLY}
    assert ("Deployment", "alpha-predictor") in applied
    assert ("Service", "alpha") in applied
    assert plan.status is not None
    assert plan.status.current_version == 1
    marks = [w for w in plan.writes if w.verb == Verb.PATCH_STATUS]
    assert [(w.ref.name, w.body) for w in marks] == [
        ("alpha-v1", {"status": {"deployedBy": ["alpha"]}})
    ]


def test_a_validated_status_without_a_passing_scan_job_is_not_served() -> None:
    forged = model_version("alpha-v1", 1, phase="Validated")
    for scans in ([], [scan_job(forged, outcome="Failed")]):
        plan = _plan(deployment_body(), [forged], scans)
        assert plan.status is not None
        assert plan.status.current_version is None
        assert not any(w.ref.kind == "Deployment" for w in plan.writes)


def test_an_existing_service_it_does_not_own_is_left_alone_and_named() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated")
    theirs = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("alpha", "uid-someone-elses"),
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 443}]},
    }
    children = {("v1", "Service", "alpha"): theirs}
    plan = _plan(deployment_body(), [v1], [scan_job(v1)], children=children)
    assert not any(w.ref.kind == "Service" for w in plan.writes)
    assert plan.status is not None
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "Conflict"
    assert "Service alpha" in ready.message


def test_children_that_match_are_not_written_again() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated")
    first = _plan(deployment_body(), [v1], [scan_job(v1)])
    children = {
        (w.body["apiVersion"], w.body["kind"], w.body["metadata"]["name"]): w.body
        for w in first.writes
        if w.verb == Verb.APPLY and w.body is not None
    }
    v1["status"]["deployedBy"] = ["alpha"]
    again = _plan(deployment_body(), [v1], [scan_job(v1)], children=children)
    assert again.writes == ()


def test_an_owned_canary_left_from_an_earlier_spec_is_deleted() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated")
    owner = Owner("ModelDeployment", "alpha", "ml", "uid-md")
    canary = serving.deployment(
        owner,
        modeldeployment.ModelDeploymentSpec.model_validate({"model": "alpha"}),
        serving.Served(1, "alpha-v1", "file:///a", "sha256:" + "a" * 64),
        SETTINGS,
        1,
        serving.CANARY,
    )
    canary["metadata"]["uid"] = "uid-canary"
    key = ("apps/v1", "Deployment", "alpha-predictor-canary")
    plan = _plan(deployment_body(), [v1], [scan_job(v1)], children={key: canary})
    deletes = [(w.ref.kind, w.ref.name) for w in plan.writes if w.verb == Verb.DELETE]
    assert deletes == [("Deployment", "alpha-predictor-canary")]


def test_a_changed_deployment_is_rolling_out_whatever_its_old_status_says() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated")
    v2 = model_version("alpha-v2", 2, phase="Validated")
    first = _plan(deployment_body(), [v1], [scan_job(v1)])
    children = {
        (w.body["apiVersion"], w.body["kind"], w.body["metadata"]["name"]): w.body
        for w in first.writes
        if w.verb == Verb.APPLY and w.body is not None
    }
    stable = children[("apps/v1", "Deployment", "alpha-predictor")]
    stable["metadata"]["generation"] = 1
    stable["status"] = {
        "observedGeneration": 1,
        "replicas": 1,
        "updatedReplicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
    }
    body = deployment_body()
    body["status"] = {"currentVersion": 1}
    plan = _plan(body, [v1, v2], [scan_job(v1), scan_job(v2)], children=children)
    assert plan.status is not None
    assert plan.status.current_version == 2
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "RollingOut")


def test_a_deleted_deployment_is_taken_off_deployed_by() -> None:
    v1 = model_version("alpha-v1", 1, phase="Validated", deployedBy=["alpha", "other"])
    plan = _plan(None, [v1], [])
    assert plan.status is None
    (write,) = plan.writes
    assert (write.verb, write.body) == (Verb.PATCH_STATUS, {"status": {"deployedBy": ["other"]}})


def test_an_invalid_spec_is_reported_and_nothing_is_written() -> None:
    plan = _plan(deployment_body(replicas=-1), [], [])
    assert plan.writes == ()
    assert plan.status is not None
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "InvalidSpec"

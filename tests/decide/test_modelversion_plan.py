"""The ModelVersion planner: a scan per version, verdicts backed by it, one Production."""

from __future__ import annotations

from modelops.api.modelversion import ModelVersionSpec, Stage, VersionPhase
from modelops.decide import modelversion
from modelops.decide.plan import Verb
from modelops.render import batchjobs
from modelops.structs import Owner
from tests.decide.objects import NOW, SETTINGS, job, model_version, pod

PASSED = {"ok": True, "passed": True, "metrics": {"accuracy": 0.9}, "blocking": []}
REJECTED = {
    "ok": True,
    "passed": False,
    "blocking": [{"detector": "performance", "severity": "major", "message": "accuracy 0.5"}],
}


def _scan_job(version: dict, outcome: str | None = "Complete") -> dict:  # type: ignore[type-arg]
    spec = ModelVersionSpec.model_validate(version["spec"])
    rendered = batchjobs.scan_job(Owner.of(version), spec, SETTINGS, None)
    return job(rendered["metadata"]["name"], version, outcome, template=rendered)


def _plan(
    version: dict, j: dict | None = None, pods: list | None = None, versions: list | None = None
):  # type: ignore[no-untyped-def,type-arg]
    observed = modelversion.Observed(version, j, pods or [], versions or [version])
    return modelversion.plan(observed, NOW, SETTINGS)


def test_a_new_version_gets_a_scan_job() -> None:
    version = model_version("alpha-v1", 1)
    plan = _plan(version)
    (write,) = plan.writes
    assert (write.verb, write.ref.kind, write.ref.name) == (Verb.CREATE, "Job", "alpha-v1-scan")
    assert plan.status is not None
    assert plan.status.phase == VersionPhase.VALIDATING


def test_a_passing_scan_validates_and_a_failing_one_rejects() -> None:
    version = model_version("alpha-v1", 1)
    passing = _scan_job(version)
    plan = _plan(version, passing, [pod(passing, PASSED)])
    assert plan.status is not None
    assert plan.status.phase == VersionPhase.VALIDATED
    failing = _scan_job(version, outcome="Failed")
    plan = _plan(version, failing, [pod(failing, REJECTED)])
    assert plan.status is not None
    assert plan.status.phase == VersionPhase.REJECTED
    assert "accuracy 0.5" in (plan.status.message or "")


def test_a_validated_status_without_a_scan_behind_it_is_scanned_again() -> None:
    forged = model_version("alpha-v1", 1, phase="Validated")
    plan = _plan(forged)
    assert plan.status is not None
    assert plan.status.phase == VersionPhase.VALIDATING
    assert [w.ref.name for w in plan.writes] == ["alpha-v1-scan"]


def test_a_validated_status_over_a_rejecting_scan_is_rejected() -> None:
    forged = model_version("alpha-v1", 1, phase="Validated")
    failing = _scan_job(forged, outcome="Failed")
    plan = _plan(forged, failing, [pod(failing, REJECTED)])
    assert plan.status is not None
    assert plan.status.phase == VersionPhase.REJECTED


def test_a_hand_made_scan_job_with_its_own_policy_certifies_nothing() -> None:
    version = model_version("alpha-v1", 1)
    real = _scan_job(version)
    container = real["spec"]["template"]["spec"]["containers"][0]
    args = list(container["args"])
    args[args.index("--policy") + 1] = '{"blockOn":[]}'
    container["args"] = args
    plan = _plan(version, real, [pod(real, PASSED)])
    assert plan.status is not None
    assert plan.status.phase != VersionPhase.VALIDATED
    ready = next(c for c in plan.status.conditions if c.type == "Validated")
    assert ready.reason == "Conflict"


def test_a_summary_from_a_pod_the_job_does_not_own_is_ignored() -> None:
    version = model_version("alpha-v1", 1)
    real = _scan_job(version)
    stray = pod(real, PASSED)
    stray["metadata"]["ownerReferences"] = []
    plan = _plan(version, real, [stray])
    assert plan.status is not None
    assert plan.status.phase != VersionPhase.VALIDATED


def test_promoting_archives_the_models_other_production_version_only() -> None:
    old = model_version("alpha-v1", 1, phase="Validated", stage="Production")
    other_model = model_version("beta-v1", 1, model="beta", phase="Validated", stage="Production")
    new = model_version("alpha-v2", 2, phase="Validated", desired="Production")
    scan = _scan_job(new)
    plan = _plan(new, scan, [pod(scan, PASSED)], [old, other_model, new])
    assert plan.status is not None
    assert plan.status.stage == Stage.PRODUCTION
    touched = {(w.ref.name, w.verb) for w in plan.writes}
    assert touched == {("alpha-v1", Verb.PATCH), ("alpha-v1", Verb.PATCH_STATUS)}
    assert ("alpha-v1", "Archived") in {(e.about.name, e.reason) for e in plan.events}


def test_production_waits_until_the_version_is_validated() -> None:
    version = model_version("alpha-v1", 1, desired="Production")
    plan = _plan(version)
    assert plan.status is not None
    assert plan.status.stage == Stage.NONE
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "NotValidated"


def test_the_champion_is_the_models_production_version() -> None:
    champion = model_version("alpha-v1", 1, phase="Validated", stage="Production")
    candidate = model_version("alpha-v2", 2)
    plan = _plan(candidate, versions=[champion, candidate])
    (write,) = plan.writes
    assert write.body is not None
    args = write.body["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--champion-name") + 1] == "alpha-v1"
    assert "against champion alpha-v1" in plan.events[0].message


def test_the_status_patch_never_carries_deployed_by() -> None:
    version = model_version("alpha-v1", 1)
    plan = _plan(version)
    assert plan.status is not None
    assert "deployedBy" not in modelversion.status_patch(plan.status)


def test_an_import_may_not_point_at_another_tenants_or_models_artifacts() -> None:
    for uri in (
        "file:///artifacts/team-b/alpha/r-1234",
        "file:///artifacts/ml/beta/r-1234",
        "file:///artifacts/ml/alpha/../../team-b/alpha/r",
    ):
        version = model_version("alpha-v1", 1)
        version["spec"]["artifactUri"] = uri
        plan = _plan(version)
        assert plan.writes == (), uri
        assert plan.status is not None
        assert plan.status.phase == VersionPhase.REJECTED
        assert "spec.artifactUri" in (plan.status.message or "")


def test_an_import_from_a_location_of_ones_own_is_scanned() -> None:
    version = model_version("alpha-v1", 1)
    version["spec"]["artifactUri"] = "s3://team-a-models/alpha/1"
    assert [w.ref.kind for w in _plan(version).writes] == ["Job"]


def test_the_scan_writes_its_report_beside_the_version_never_into_what_it_reads() -> None:
    version = model_version("alpha-v1", 1)
    (write,) = _plan(version).writes
    assert write.body is not None
    args = write.body["spec"]["template"]["spec"]["containers"][0]["args"]
    output = args[args.index("--report-uri") + 1]
    assert output.startswith("file:///artifacts/ml/scans/alpha-v1-")
    assert not output.startswith(version["spec"]["artifactUri"])

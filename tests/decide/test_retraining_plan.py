"""The retraining state machine, with plain values: drift -> run -> scan -> promote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from modelops.api.modeldeployment import (
    ModelDeploymentStatus,
    RetrainingOutcome,
    RetrainingStatus,
)
from modelops.decide import retraining
from modelops.decide.plan import Builder, Verb
from modelops.render import names
from tests.decide.objects import NOW, TEMPLATE, meta, model_version, training_run

DRIFTED = retraining.Reading(score=5.0, rows=1000, drifted=("f0",), source="scrape")
CALM = retraining.Reading(score=0.2, rows=1000, drifted=(), source="scrape")


def deployment(auto_promote: bool = True, annotations: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    policy = {
        "threshold": 1.0,
        "for": "0s",
        "minRows": 100,
        "cooldown": "10m",
        "maxFailures": 2,
        "autoPromote": auto_promote,
        "template": TEMPLATE,
    }
    body_meta = meta("alpha", "uid-md")
    if annotations:
        body_meta["annotations"] = annotations
    return {
        "apiVersion": "modelops.dev/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": body_meta,
        "spec": {"model": "alpha", "retraining": policy},
    }


def retrain_run(name: str, **status: Any) -> dict[str, Any]:
    run = training_run(name, status=status)
    run["metadata"]["labels"] = {names.DEPLOYMENT: "alpha"}
    return run


def step(
    body: dict,
    status: ModelDeploymentStatus,
    runs: list | None = None,
    versions: list | None = None,
    reading: retraining.Reading | None = None,
    now=NOW,
):  # type: ignore[no-untyped-def,type-arg]
    from modelops.api.modeldeployment import ModelDeploymentSpec

    out: Builder[ModelDeploymentStatus] = Builder()
    policy = ModelDeploymentSpec.model_validate(body["spec"]).retraining
    observed = retraining.Observed(runs or [], (1, reading) if reading else None)
    new = retraining.plan(out, body, policy, status, observed, versions or [], now)
    return new, out.done(new)


SERVING = ModelDeploymentStatus(current_version=1)


def _following(outcome: RetrainingOutcome, run: str = "alpha-retrain-1") -> ModelDeploymentStatus:
    started = NOW - timedelta(minutes=1)
    last = RetrainingStatus(run=run, reason="drift", started=started, outcome=outcome)
    return SERVING.model_copy(update={"last_retraining": last})


def test_drift_starts_a_run_from_the_template() -> None:
    status, plan = step(deployment(), SERVING, reading=DRIFTED)
    (write,) = plan.writes
    assert (write.verb, write.ref.kind, write.ref.name) == (
        Verb.CREATE,
        "TrainingRun",
        "alpha-retrain-1",
    )
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.RUNNING
    assert [e.reason for e in plan.events] == ["RetrainingStarted"]


def test_a_run_name_taken_by_anyone_is_skipped() -> None:
    taken = training_run("alpha-retrain-1")  # not one of ours
    _status, plan = step(deployment(), SERVING, runs=[taken], reading=DRIFTED)
    assert [w.ref.name for w in plan.writes] == ["alpha-retrain-2"]


def test_calm_traffic_starts_nothing() -> None:
    status, plan = step(deployment(), SERVING, reading=CALM)
    assert plan.writes == ()
    drift = next(c for c in status.conditions if c.type == "DriftDetected")
    assert (drift.status, drift.reason) == ("False", "Normal")


def test_one_run_at_a_time() -> None:
    running = retrain_run("alpha-retrain-1", phase="Running")
    status, plan = step(
        deployment(), _following(RetrainingOutcome.RUNNING), runs=[running], reading=DRIFTED
    )
    assert plan.writes == ()
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.RUNNING


def test_a_failed_run_ends_failed_and_counts_a_failure() -> None:
    failed = retrain_run("alpha-retrain-1", phase="Failed", message="out of memory")
    status, plan = step(deployment(), _following(RetrainingOutcome.RUNNING), runs=[failed])
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.FAILED
    assert status.retraining_failures == 1
    assert [(e.reason, e.warning) for e in plan.events] == [("RetrainingFailed", True)]


def test_a_rejected_version_ends_rejected() -> None:
    done = retrain_run("alpha-retrain-1", phase="Succeeded", modelVersion="alpha-v2")
    v2 = model_version("alpha-v2", 2, phase="Rejected", message="leakage")
    status, _plan = step(deployment(), _following(RetrainingOutcome.RUNNING), [done], [v2])
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.REJECTED
    assert status.retraining_failures == 1


def test_a_version_being_scanned_is_waited_for() -> None:
    done = retrain_run("alpha-retrain-1", phase="Succeeded", modelVersion="alpha-v2")
    v2 = model_version("alpha-v2", 2, phase="Validating")
    status, plan = step(deployment(), _following(RetrainingOutcome.RUNNING), [done], [v2])
    assert plan.writes == ()
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.VALIDATING


def test_auto_promotion_patches_only_the_new_versions_stage() -> None:
    done = retrain_run("alpha-retrain-1", phase="Succeeded", modelVersion="alpha-v2")
    v1 = model_version("alpha-v1", 1, phase="Validated", stage="Production")
    beta = model_version("beta-v1", 1, model="beta", phase="Validated", stage="Production")
    v2 = model_version("alpha-v2", 2, phase="Validated", scan={"beatsChampion": True})
    status, plan = step(
        deployment(), _following(RetrainingOutcome.VALIDATING), [done], [v1, beta, v2]
    )
    assert [(w.verb, w.ref.name, w.body) for w in plan.writes] == [
        (Verb.PATCH, "alpha-v2", {"spec": {"stage": "Production"}})
    ], "archiving the old version is the ModelVersion planner's rule, and never another model's"
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.PROMOTED
    assert status.retraining_failures == 0


def test_a_version_that_does_not_beat_the_champion_is_not_promoted() -> None:
    done = retrain_run("alpha-retrain-1", phase="Succeeded", modelVersion="alpha-v2")
    v2 = model_version("alpha-v2", 2, phase="Validated", scan={"beatsChampion": False})
    status, plan = step(deployment(), _following(RetrainingOutcome.VALIDATING), [done], [v2])
    assert plan.writes == ()
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.REJECTED


def test_without_auto_promotion_a_person_promotes_and_the_loop_ends_promoted() -> None:
    done = retrain_run("alpha-retrain-1", phase="Succeeded", modelVersion="alpha-v2")
    v2 = model_version("alpha-v2", 2, phase="Validated", scan={"beatsChampion": True})
    body = deployment(auto_promote=False)
    status, plan = step(body, _following(RetrainingOutcome.VALIDATING), [done], [v2])
    assert plan.writes == ()
    assert status.last_retraining is not None
    assert status.last_retraining.outcome == RetrainingOutcome.AWAITING_APPROVAL
    (event,) = plan.events
    assert "kubectl patch mv alpha-v2" in event.message

    again, plan = step(body, status, [done], [v2])
    assert plan.events == (), "the request for approval is posted once"
    promoted = model_version("alpha-v2", 2, phase="Validated", stage="Production")
    final, plan = step(body, again, [done], [promoted])
    assert final.last_retraining is not None
    assert final.last_retraining.outcome == RetrainingOutcome.PROMOTED
    assert plan.writes == ()


def test_cooldown_spaces_runs() -> None:
    ended = _following(RetrainingOutcome.PROMOTED)
    done = retrain_run("alpha-retrain-1", phase="Succeeded")
    status, plan = step(deployment(), ended, [done], reading=DRIFTED)
    assert plan.writes == ()
    retrain = next(c for c in status.conditions if c.type == "Retraining")
    assert retrain.reason == "Cooldown"
    _later, plan = step(
        deployment(), ended, [done], reading=DRIFTED, now=NOW + timedelta(minutes=11)
    )
    assert [w.ref.name for w in plan.writes] == ["alpha-retrain-2"]


def test_after_max_failures_in_a_row_the_policy_stops() -> None:
    ended = _following(RetrainingOutcome.FAILED).model_copy(update={"retraining_failures": 2})
    done = retrain_run("alpha-retrain-1", phase="Failed")
    later = NOW + timedelta(hours=1)
    status, plan = step(deployment(), ended, [done], reading=DRIFTED, now=later)
    assert plan.writes == ()
    retrain = next(c for c in status.conditions if c.type == "Retraining")
    assert retrain.reason == "TooManyFailures"


def test_the_retrain_annotation_starts_a_run_once_per_value() -> None:
    body = deployment(annotations={retraining.RETRAIN_ANNOTATION: "1700000000"})
    status, plan = step(body, SERVING)
    assert [w.ref.name for w in plan.writes] == ["alpha-retrain-1"]
    assert status.retrain_request == "1700000000"
    run = retrain_run("alpha-retrain-1", phase="Succeeded")
    idle = status.model_copy(update={"last_retraining": None})
    _again, plan = step(body, idle, [run])
    assert plan.writes == ()


def test_a_prometheus_url_the_admin_did_not_allow_is_never_queried() -> None:
    from modelops.api.modeldeployment import ModelDeploymentSpec
    from modelops.settings import Settings

    body = deployment()
    body["spec"]["retraining"]["prometheus"] = {"url": "http://169.254.169.254/latest"}
    policy = ModelDeploymentSpec.model_validate(body["spec"]).retraining
    assert policy is not None
    refused = retraining.source(policy, Settings(prometheus_url="http://prom:9090"))
    assert refused.url is None
    assert refused.refused is not None
    allowed = retraining.source(policy, Settings(prometheus_allowed="http://169.254.169.254/"))
    assert allowed.url == "http://169.254.169.254/latest"

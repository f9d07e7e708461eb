"""The TrainingRun planner, with plain values: what it writes, posts and reports."""

from __future__ import annotations

from modelops.api.trainingrun import TrainingPhase
from modelops.decide import trainingrun
from modelops.decide.plan import Verb
from modelops.render import names
from tests.decide.objects import NOW, SETTINGS, job, model_version, pod, training_run

OK = {
    "ok": True,
    "metrics": {"accuracy": 0.95},
    "keyMetric": "accuracy=0.9500",
    "artifactUri": "file:///artifacts/ml/alpha/r-x",
    "digest": "sha256:" + "b" * 64,
}


def _plan(run: dict, j: dict | None = None, pods: list | None = None, versions: list | None = None):  # type: ignore[no-untyped-def,type-arg]
    observed = trainingrun.Observed(run, j, pods or [], versions or [])
    return trainingrun.plan(observed, NOW, SETTINGS)


def test_a_new_run_creates_its_job_and_says_so() -> None:
    plan = _plan(training_run())
    (write,) = plan.writes
    assert (write.verb, write.ref.kind, write.ref.name) == (Verb.CREATE, "Job", "r-train")
    assert [e.reason for e in plan.events] == ["JobCreated"]
    assert plan.status is not None
    assert plan.status.phase == TrainingPhase.PENDING


def test_a_job_it_does_not_own_is_never_touched_and_the_status_names_it() -> None:
    run = training_run()
    plan = _plan(run, job("r-train", owner=None, outcome="Complete"))
    assert plan.writes == ()
    assert plan.status is not None
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "Conflict"
    assert "r-train" in ready.message


def test_a_finished_job_registers_the_next_version_of_the_model_once() -> None:
    run = training_run()
    j = job("r-train", run, outcome="Complete")
    versions = [model_version("alpha-v1", 1), model_version("beta-v4", 4, model="beta")]
    plan = _plan(run, j, [pod(j, OK)], versions)
    (write,) = plan.writes
    assert (write.verb, write.ref.kind, write.ref.name) == (Verb.CREATE, "ModelVersion", "alpha-v2")
    assert plan.status is not None
    assert plan.status.phase == TrainingPhase.SUCCEEDED
    assert plan.status.model_version == "alpha-v2"
    assert {e.reason for e in plan.events} == {"Registered", "Succeeded"}


def test_a_version_the_run_already_registered_is_found_not_made_again() -> None:
    run = training_run()
    j = job("r-train", run, outcome="Complete")
    mine = model_version("alpha-v3", 3)
    mine["metadata"]["labels"] = {names.TRAINING_RUN: "r"}
    plan = _plan(run, j, [pod(j, OK)], [mine])
    assert plan.writes == ()
    assert plan.status is not None
    assert plan.status.model_version == "alpha-v3"


def test_a_failed_trainer_fails_the_run_with_its_reason() -> None:
    run = training_run()
    j = job("r-train", run, outcome="Failed")
    failure = {"ok": False, "reason": "DatasetNotFound", "message": "no such file"}
    plan = _plan(run, j, [pod(j, failure)])
    assert plan.status is not None
    assert plan.status.phase == TrainingPhase.FAILED
    failed = next(c for c in plan.status.conditions if c.type == "Failed")
    assert (failed.reason, failed.message) == ("DatasetNotFound", "no such file")
    assert [(e.reason, e.warning) for e in plan.events] == [("Failed", True)]


def test_suspending_a_run_suspends_its_job() -> None:
    run = training_run(suspend=True)
    plan = _plan(run, job("r-train", run))
    (write,) = plan.writes
    assert (write.verb, write.body) == (Verb.PATCH, {"spec": {"suspend": True}})


def test_an_invalid_spec_fails_at_once_and_writes_nothing() -> None:
    run = training_run(estimator={"name": "NoSuchEstimator"})
    plan = _plan(run)
    assert plan.writes == ()
    assert plan.status is not None
    assert plan.status.phase == TrainingPhase.FAILED
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "InvalidSpec"


def test_a_registered_run_is_left_alone() -> None:
    run = training_run(status={"phase": "Succeeded", "modelVersion": "alpha-v1"})
    plan = _plan(run)
    assert (plan.writes, plan.events) == ((), ())


def test_a_deleted_run_plans_nothing() -> None:
    plan = trainingrun.plan(trainingrun.Observed(None), NOW, SETTINGS)
    assert (plan.status, plan.writes, plan.events) == (None, (), ())

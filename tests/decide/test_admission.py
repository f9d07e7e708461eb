"""A namespace user gets only the Secrets and service accounts the admin allows."""

from __future__ import annotations

from modelops.api.modeldeployment import ModelDeploymentSpec
from modelops.api.trainingrun import TrainingRunSpec
from modelops.decide import admission, trainingrun
from modelops.settings import Settings
from tests.decide.objects import NOW, SETTINGS, TEMPLATE, training_run


def _spec(**extra: object) -> TrainingRunSpec:
    return TrainingRunSpec.model_validate({**TEMPLATE, **extra})


def test_a_secret_outside_the_allow_list_is_refused_with_the_setting_named() -> None:
    spec = _spec(dataset={**TEMPLATE["dataset"], "credentialsSecret": "db-root-password"})  # type: ignore[dict-item]
    (refusal,) = admission.training_refusals(spec, SETTINGS)
    assert "spec.dataset.credentialsSecret" in refusal
    assert "MODELOPS_ALLOWED_SECRETS" in refusal


def test_an_allowed_secret_passes() -> None:
    spec = _spec(dataset={**TEMPLATE["dataset"], "credentialsSecret": "modelops-s3"})  # type: ignore[dict-item]
    assert admission.training_refusals(spec, SETTINGS) == []


def test_a_service_account_is_borrowed_only_where_allowed() -> None:
    spec = _spec(serviceAccountName="cluster-admin-irsa")
    assert admission.training_refusals(spec, SETTINGS)
    lenient = Settings(allowed_service_accounts="ml-*,cluster-admin-irsa")
    assert admission.training_refusals(spec, lenient) == []


def test_a_deployment_cannot_smuggle_a_secret_through_its_retraining_template() -> None:
    template = {**TEMPLATE, "dataset": {**TEMPLATE["dataset"], "credentialsSecret": "prod-db"}}  # type: ignore[dict-item]
    spec = ModelDeploymentSpec.model_validate(
        {"model": "alpha", "retraining": {"template": template}}
    )
    (refusal,) = admission.deployment_refusals(spec, SETTINGS)
    assert refusal.startswith("spec.retraining.template: spec.dataset.credentialsSecret")


def test_a_refused_run_fails_as_invalid_and_creates_no_job() -> None:
    run = training_run(serviceAccountName="someone-elses")
    plan = trainingrun.plan(trainingrun.Observed(run), NOW, SETTINGS)
    assert plan.writes == ()
    assert plan.status is not None
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert ready.reason == "InvalidSpec"

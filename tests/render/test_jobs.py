"""The trainer and scan Jobs: deterministic, owned, restricted, valid for Kubernetes 1.30."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest
import yaml

from modelops.api.common import Resources
from modelops.api.modelversion import ModelVersionSpec
from modelops.api.trainingrun import TrainingRunSpec
from modelops.render import batchjobs as jobs
from modelops.render import names
from modelops.runtime import termination
from modelops.settings import Settings
from modelops.structs import Owner
from tests.crdschema import SAMPLES_DIR
from tests.pss import violations

SETTINGS = Settings(artifact_root="s3://models")
OWNER = Owner("TrainingRun", "breast-cancer-rf", "ml", "uid-1")


def _sample_spec() -> TrainingRunSpec:
    sample = yaml.safe_load((SAMPLES_DIR / "modelops_v1alpha1_trainingrun.yaml").read_text())
    return TrainingRunSpec.model_validate(sample["spec"])


def _container(job: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return container


def test_the_training_job_is_the_same_every_time() -> None:
    spec = _sample_spec()
    assert jobs.training_job(OWNER, spec, SETTINGS) == jobs.training_job(OWNER, spec, SETTINGS)


def test_the_training_job_is_named_owned_and_labelled_by_its_run() -> None:
    job = jobs.training_job(OWNER, _sample_spec(), SETTINGS)
    meta = job["metadata"]
    assert meta["name"] == "breast-cancer-rf-train"
    assert meta["namespace"] == "ml"
    (ref,) = meta["ownerReferences"]
    assert (ref["kind"], ref["uid"], ref["controller"]) == ("TrainingRun", "uid-1", True)
    assert meta["labels"][names.TRAINING_RUN] == "breast-cancer-rf"
    assert job["spec"]["template"]["metadata"]["labels"][names.MODEL] == "breast-cancer"


def test_the_trainer_gets_the_spec_and_writes_under_root_namespace_model_run_uid() -> None:
    spec = _sample_spec()
    container = _container(jobs.training_job(OWNER, spec, SETTINGS))
    args = container["args"]
    assert container["command"] == ["modelops", "train"]
    output = args[args.index("--output") + 1]
    assert output == "s3://models/ml/breast-cancer/breast-cancer-rf-uid1"
    assert args[args.index("--spec-env") + 1] == jobs.SPEC_VARIABLE
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert TrainingRunSpec.model_validate(json.loads(env[jobs.SPEC_VARIABLE])) == spec


def test_the_same_run_in_two_namespaces_writes_to_two_places() -> None:
    spec = _sample_spec()
    other = Owner("TrainingRun", OWNER.name, "team-b", "uid-9")
    assert jobs.artifact_uri(spec, OWNER, SETTINGS) != jobs.artifact_uri(spec, other, SETTINGS)
    again = Owner("TrainingRun", OWNER.name, OWNER.namespace, "uid-2")
    assert jobs.artifact_uri(spec, OWNER, SETTINGS) != jobs.artifact_uri(spec, again, SETTINGS), (
        "a run recreated under the same name must not reach its predecessor's files"
    )


def test_no_user_text_in_args_can_expand_a_variable() -> None:
    spec = _sample_spec()
    data = spec.dataset.model_copy(update={"target": "$(AWS_SECRET_ACCESS_KEY)"})
    hostile = spec.model_copy(update={"dataset": data})
    container = _container(jobs.training_job(OWNER, hostile, SETTINGS))
    texts = [*container["args"], *(e.get("value") or "" for e in container["env"])]
    assert not any("$(" in text.replace("$$", "") for text in texts)
    assert any("$$(AWS_SECRET_ACCESS_KEY)" in text for text in texts)


def test_job_limits_come_from_the_spec() -> None:
    spec = _sample_spec().model_copy(
        update={"suspend": True, "backoff_limit": 3, "ttl_seconds_after_finished": 60}
    )
    job = jobs.training_job(OWNER, spec, SETTINGS)["spec"]
    assert (job["suspend"], job["backoffLimit"], job["ttlSecondsAfterFinished"]) == (True, 3, 60)
    assert job["activeDeadlineSeconds"] == 900
    assert _container({"spec": job})["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}


def test_a_permanent_trainer_error_fails_the_job_without_retries() -> None:
    rules = jobs.training_job(OWNER, _sample_spec(), SETTINGS)["spec"]["podFailurePolicy"]["rules"]
    assert rules[0]["action"] == "FailJob"
    assert rules[0]["onExitCodes"]["values"] == [termination.PERMANENT]


def test_credentials_reach_the_pod_only_by_secret_reference() -> None:
    spec = _sample_spec()
    spec = spec.model_copy(
        update={"dataset": spec.dataset.model_copy(update={"credentials_secret": "s3-creds"})}
    )
    container = _container(jobs.training_job(OWNER, spec, SETTINGS))
    assert container["envFrom"] == [{"secretRef": {"name": "s3-creds"}}]
    names_ = [e["name"] for e in container["env"]]
    assert names_ == ["PYTHONUNBUFFERED", jobs.SPEC_VARIABLE, "MODELOPS_CPU_LIMIT"]
    assert not any("secretKeyRef" in (e.get("valueFrom") or {}) for e in container["env"])


def test_a_run_that_sets_no_bounds_gets_the_operators() -> None:
    spec = _sample_spec().model_copy(
        update={"active_deadline_seconds": None, "resources": Resources()}
    )
    job = jobs.training_job(OWNER, spec, SETTINGS)
    assert job["spec"]["activeDeadlineSeconds"] == SETTINGS.job_deadline_seconds
    resources = _container(job)["resources"]
    assert resources["limits"] == {"cpu": "2", "memory": "4Gi"}
    assert resources["requests"] == {"cpu": "500m", "memory": "1Gi"}
    cpu = next(e for e in _container(job)["env"] if e["name"] == "MODELOPS_CPU_LIMIT")
    assert cpu["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"


def _scan_spec() -> ModelVersionSpec:
    return ModelVersionSpec(
        model="m",
        version=2,
        task="classification",
        artifact_uri="s3://a/m/r",
        digest="sha256:" + "a" * 64,
    )


def test_the_scan_job_compares_with_the_champion_when_there_is_one() -> None:
    owner = Owner("ModelVersion", "m-v2", "ml", "uid-2")
    champion = jobs.Champion("m-v1", "s3://a/m/r1", "sha256:" + "b" * 64)
    args = _container(jobs.scan_job(owner, _scan_spec(), SETTINGS, champion))["args"]
    assert args[args.index("--champion-uri") + 1] == "s3://a/m/r1"
    assert args[args.index("--digest") + 1] == "sha256:" + "a" * 64
    alone = _container(jobs.scan_job(owner, _scan_spec(), SETTINGS, None))["args"]
    assert "--champion-uri" not in alone


@pytest.mark.parametrize("which", ["training", "scan"])
def test_rendered_jobs_are_valid_and_pass_pss_restricted(which: str) -> None:
    if which == "training":
        job = jobs.training_job(OWNER, _sample_spec(), SETTINGS)
    else:
        owner = Owner("ModelVersion", "m-v2", "ml", "uid-2")
        job = jobs.scan_job(owner, _scan_spec(), SETTINGS, None)
    kubernetes_validate.validate(job, "1.30", strict=True)
    assert violations(job["spec"]["template"]["spec"]) == []


def test_an_artifact_claim_is_mounted_at_the_file_root() -> None:
    settings = Settings(
        artifact_root="file:///var/lib/modelops/artifacts", artifact_volume_claim="art"
    )
    job = jobs.training_job(OWNER, _sample_spec(), settings)
    pod = job["spec"]["template"]["spec"]
    assert {"name": "artifacts", "persistentVolumeClaim": {"claimName": "art"}} in pod["volumes"]
    mounts = _container(job)["volumeMounts"]
    assert {"name": "artifacts", "mountPath": "/var/lib/modelops/artifacts"} in mounts


def test_long_names_are_shortened_stably_within_63_characters() -> None:
    long = "a" * 70
    assert len(names.training_job(long)) <= 63
    assert names.training_job(long) == names.training_job(long)
    assert names.training_job(long) != names.training_job("a" * 69 + "b")
    assert len(names.label_value(long)) <= 63

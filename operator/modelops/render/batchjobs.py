"""The Jobs modelops runs: the trainer of a TrainingRun and the scan of a ModelVersion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from modelops.api.modelversion import ModelVersionSpec
from modelops.api.trainingrun import TrainingRunSpec
from modelops.render import names, pods
from modelops.runtime import termination
from modelops.settings import Settings, quantities
from modelops.structs import Owner
from modelops.uris import join


@dataclass(frozen=True)
class Champion:
    """The Production version a candidate is compared with."""

    name: str
    artifact_uri: str
    digest: str


#: The trainer reads its TrainingRunSpec (JSON) from this variable.
SPEC_VARIABLE = "MODELOPS_TRAINING_SPEC"


def _compact(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def artifact_uri(spec: TrainingRunSpec, owner: Owner, settings: Settings) -> str:
    """Where a run writes its artifacts: ``<root>/<namespace>/<model>/<run>-<uid>``.

    The namespace keeps tenants apart and the run's uid keeps a run recreated under an
    old name from reaching its predecessor's files; the trainer writes a directory once.
    """
    run = f"{owner.name}-{owner.uid.replace('-', '')[:12]}" if owner.uid else owner.name
    return join(spec.artifacts.uri or settings.artifact_root, owner.namespace, spec.model, run)


def scan_output_uri(owner: Owner, settings: Settings) -> str:
    """Where a version's scan writes findings.json and report.html."""
    tag = f"{owner.name}-{owner.uid.replace('-', '')[:12]}" if owner.uid else owner.name
    return join(settings.artifact_root, owner.namespace, "scans", tag)


def _job(
    *,
    owner: Owner,
    name: str,
    labels: dict[str, str],
    container: dict[str, Any],
    settings: Settings,
    artifact: str,
    service_account: str | None,
    backoff_limit: int,
    active_deadline_seconds: int | None = None,
    ttl_seconds_after_finished: int | None = None,
    suspend: bool = False,
) -> dict[str, Any]:
    volumes, mounts = pods.volumes(settings, artifact)
    container = {
        **container,
        "args": pods.literal(container["args"]),
        "image": settings.trainer_image,
        "imagePullPolicy": settings.image_pull_policy,
        "securityContext": pods.container_security_context(),
        "terminationMessagePath": pods.TERMINATION_MESSAGE_PATH,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": mounts,
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "securityContext": pods.pod_security_context(),
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": volumes,
    }
    account = service_account or settings.service_account
    if account:
        pod_spec["serviceAccountName"] = account
    spec: dict[str, Any] = {
        "backoffLimit": backoff_limit,
        "suspend": suspend,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": container["name"],
                        "operator": "In",
                        "values": [termination.PERMANENT],
                    },
                }
            ]
        },
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
    }
    if active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = active_deadline_seconds
    if ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = ttl_seconds_after_finished
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": owner.namespace,
            "labels": dict(labels),
            "ownerReferences": [owner.reference()],
        },
        "spec": spec,
    }


def training_job(owner: Owner, spec: TrainingRunSpec, settings: Settings) -> dict[str, Any]:
    """The Job that trains ``spec`` for the TrainingRun ``owner``."""
    output = artifact_uri(spec, owner, settings)
    container: dict[str, Any] = {
        "name": "trainer",
        "command": ["modelops", "train"],
        "args": [
            "--run",
            owner.name,
            "--output",
            output,
            "--spec-env",
            SPEC_VARIABLE,
        ],
        "env": [
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            # The spec travels in the environment, out of argv; doubled, a `$` in it cannot
            # name another variable (Kubernetes expands `$(NAME)` in env values too).
            {"name": SPEC_VARIABLE, "value": pods.literal([_compact(spec.to_api())])[0]},
            # The trainer caps n_jobs to the cores it may use (rounded up to whole cores).
            {
                "name": "MODELOPS_CPU_LIMIT",
                "valueFrom": {
                    "resourceFieldRef": {
                        "containerName": "trainer",
                        "resource": "limits.cpu",
                        "divisor": "1",
                    }
                },
            },
        ],
        "envFrom": pods.env_from_secrets(
            spec.dataset.credentials_secret, spec.artifacts.credentials_secret
        ),
        # What the run leaves out, the operator's defaults bound: no run takes the node.
        "resources": pods.resources(
            {**quantities(settings.trainer_requests), **spec.resources.requests},
            {**quantities(settings.trainer_limits), **spec.resources.limits},
        ),
    }
    labels = names.labels(
        "trainer", **{names.MODEL: spec.model, names.TRAINING_RUN: names.label_value(owner.name)}
    )
    return _job(
        owner=owner,
        name=names.training_job(owner.name),
        labels=labels,
        container=container,
        settings=settings,
        artifact=output,
        service_account=spec.service_account_name,
        backoff_limit=spec.backoff_limit,
        active_deadline_seconds=spec.active_deadline_seconds or settings.job_deadline_seconds,
        ttl_seconds_after_finished=spec.ttl_seconds_after_finished,
        suspend=spec.suspend,
    )


def scan_job(
    owner: Owner,
    spec: ModelVersionSpec,
    settings: Settings,
    champion: Champion | None,
    credentials_secret: str | None = None,
) -> dict[str, Any]:
    """The Job that scans the ModelVersion ``owner`` against its policy and the champion."""
    args = [
        "--artifact-uri",
        spec.artifact_uri,
        "--digest",
        spec.digest,
        "--task",
        str(spec.task),
        "--target",
        spec.target,
        "--policy",
        _compact(spec.validation.to_api()),
    ]
    if spec.holdout_uri:
        args += ["--holdout-uri", spec.holdout_uri]
    # The report goes to the version's own place: a scan never writes where it reads, so a
    # version pointed at another model's artifacts cannot overwrite that model's report.
    args += ["--report-uri", scan_output_uri(owner, settings), "--model-version", owner.name]
    if champion is not None:
        args += [
            "--champion-name",
            champion.name,
            "--champion-uri",
            champion.artifact_uri,
            "--champion-digest",
            champion.digest,
        ]
    container: dict[str, Any] = {
        "name": "scanner",
        "command": ["modelops", "scan"],
        "args": args,
        "env": [{"name": "PYTHONUNBUFFERED", "value": "1"}],
        "envFrom": pods.env_from_secrets(credentials_secret),
        "resources": pods.resources(
            {"cpu": "500m", "memory": "512Mi"}, {"cpu": "2", "memory": "2Gi"}
        ),
    }
    labels = names.labels(
        "scanner", **{names.MODEL: spec.model, names.MODEL_VERSION: names.label_value(owner.name)}
    )
    return _job(
        owner=owner,
        name=names.scan_job(owner.name),
        labels=labels,
        container=container,
        settings=settings,
        artifact=spec.artifact_uri,
        service_account=None,
        backoff_limit=1,
        active_deadline_seconds=1800,
    )

"""The ModelVersion a successful TrainingRun registers."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION, __version__
from modelops.api.modelversion import Lineage, ModelVersionSpec
from modelops.api.trainingrun import TrainingRunSpec, task_of
from modelops.api.validation import ValidationPolicy
from modelops.render import names


def registered_version(
    run: str,
    namespace: str,
    spec: TrainingRunSpec,
    summary: dict[str, Any],
    number: int,
) -> dict[str, Any]:
    """ModelVersion ``<model>-v<number>`` for the run's model, carrying digest, lineage, metrics.

    It has no ownerReference: deleting the run deletes its Job, never the model.
    """
    version = ModelVersionSpec(
        model=spec.model,
        version=number,
        task=task_of(spec.estimator.name),
        artifact_uri=str(summary["artifactUri"]),
        digest=str(summary["digest"]),
        target=spec.dataset.target,
        lineage=Lineage(
            training_run=run,
            dataset_uri=spec.dataset.uri,
            dataset_digest=summary.get("datasetDigest"),
            estimator=str(spec.estimator.name),
            params=spec.estimator.params,
            code_version=__version__,
        ),
        metrics={k: float(v) for k, v in (summary.get("metrics") or {}).items()},
        validation=spec.validation or ValidationPolicy(),
    )
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelVersion",
        "metadata": {
            "name": names.model_version(spec.model, number),
            "namespace": namespace,
            "labels": names.labels(
                "model-version",
                **{
                    names.MODEL: spec.model,
                    names.TRAINING_RUN: names.label_value(run),
                    names.VERSION: str(number),
                },
            ),
        },
        "spec": version.to_api(),
    }

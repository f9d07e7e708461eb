"""The TrainingRun a ModelDeployment's retraining policy starts."""

from __future__ import annotations

from typing import Any

from modelops import API_VERSION, GROUP
from modelops.api.modeldeployment import RetrainingPolicy
from modelops.render import names
from modelops.structs import Owner

REASON_ANNOTATION = f"{GROUP}/reason"


def retraining_run(
    owner: Owner, policy: RetrainingPolicy, sequence: int, reason: str
) -> dict[str, Any]:
    """TrainingRun ``<deployment>-retrain-<sequence>`` from the policy's template.

    Owned by the deployment (not as controller), so deleting the deployment
    cleans its runs up; the models they registered stay.
    """
    reference = owner.reference(controller=False)
    return {
        "apiVersion": API_VERSION,
        "kind": "TrainingRun",
        "metadata": {
            "name": names.child_name(owner.name, f"retrain-{sequence}"),
            "namespace": owner.namespace,
            "labels": names.labels(
                "retraining",
                **{
                    names.MODEL: policy.template.model,
                    names.DEPLOYMENT: names.label_value(owner.name),
                },
            ),
            "annotations": {REASON_ANNOTATION: reason[:1000]},
            "ownerReferences": [reference],
        },
        "spec": policy.template.to_api(),
    }

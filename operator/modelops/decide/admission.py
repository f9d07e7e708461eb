"""What a namespace user may ask of the operator's pods: the admin's limits on a spec.

A spec names Secrets and service accounts that the operator's pods then run with. A
namespace editor who cannot read a Secret must not get a pod that can, and must not
borrow a service account's cloud identity: only the names the operator's settings
allow (``MODELOPS_ALLOWED_SECRETS``, ``MODELOPS_ALLOWED_SERVICE_ACCOUNTS``) pass. A
refusal is an ``InvalidSpec`` with a message naming the setting.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from modelops.api.modeldeployment import ModelDeploymentSpec
from modelops.api.trainingrun import TrainingRunSpec
from modelops.settings import Settings, names


def _allowed(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def _secrets(refs: list[tuple[str, str | None]], settings: Settings) -> list[str]:
    patterns = names(settings.allowed_secrets)
    return [
        f"{field}: Secret {name!r} is not among the Secrets the operator allows "
        f"(MODELOPS_ALLOWED_SECRETS={settings.allowed_secrets!r}); ask an admin to allow it"
        for field, name in refs
        if name and not _allowed(name, patterns)
    ]


def _account(field: str, name: str | None, settings: Settings) -> list[str]:
    if not name or name == settings.service_account:
        return []
    if _allowed(name, names(settings.allowed_service_accounts)):
        return []
    return [
        f"{field}: service account {name!r} is not allowed by the operator "
        f"(MODELOPS_ALLOWED_SERVICE_ACCOUNTS={settings.allowed_service_accounts!r})"
    ]


def training_refusals(spec: TrainingRunSpec, settings: Settings) -> list[str]:
    """Why the operator will not run this training spec; empty when it will."""
    return _secrets(
        [
            ("spec.dataset.credentialsSecret", spec.dataset.credentials_secret),
            ("spec.artifacts.credentialsSecret", spec.artifacts.credentials_secret),
        ],
        settings,
    ) + _account("spec.serviceAccountName", spec.service_account_name, settings)


def deployment_refusals(spec: ModelDeploymentSpec, settings: Settings) -> list[str]:
    """Why the operator will not serve this spec; empty when it will."""
    refusals = _account("spec.serviceAccountName", spec.service_account_name, settings)
    if spec.retraining is not None:
        refusals += [
            f"spec.retraining.template: {why}"
            for why in training_refusals(spec.retraining.template, settings)
        ]
    return refusals

"""The one way to name and label the objects modelops creates."""

from __future__ import annotations

import hashlib

from modelops import GROUP

MAX_NAME = 63

MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"
MODEL = f"{GROUP}/model"
TRAINING_RUN = f"{GROUP}/training-run"
MODEL_VERSION = f"{GROUP}/model-version"
VERSION = f"{GROUP}/version"
DEPLOYMENT = f"{GROUP}/deployment"
TRACK = f"{GROUP}/track"
REASON = f"{GROUP}/reason"


def child_name(parent: str, suffix: str) -> str:
    """``<parent>-<suffix>``, shortened with a stable hash when it would exceed 63 chars."""
    name = f"{parent}-{suffix}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    keep = MAX_NAME - len(suffix) - len(digest) - 2
    return f"{parent[:keep].rstrip('-')}-{digest}-{suffix}"


def label_value(value: str) -> str:
    """``value`` as a label value: at most 63 characters, shortened with a stable hash."""
    if len(value) <= MAX_NAME:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{value[: MAX_NAME - 9].rstrip('-.')}-{digest}"


def training_job(run: str) -> str:
    return child_name(run, "train")


def scan_job(model_version: str) -> str:
    return child_name(model_version, "scan")


def model_version(model: str, number: int) -> str:
    return f"{model}-v{number}"


def predictor(deployment: str, canary: bool = False) -> str:
    return child_name(deployment, "predictor-canary" if canary else "predictor")


def labels(component: str, **extra: str) -> dict[str, str]:
    """Labels every child carries, plus the kind-specific ones given."""
    return {MANAGED_BY: "modelops", COMPONENT: component, **extra}

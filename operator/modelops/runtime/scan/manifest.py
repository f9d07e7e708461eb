"""The parts of the trainer's manifest.json the scan relies on.

Trained models come with a manifest naming their features in input order and their
classes in output order, and their lineage (model, run, dataset) for the report;
imported models often have none, so every field is optional.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from modelops.runtime import artifacts
from modelops.runtime.scan.errors import InvalidModel, where


@dataclass(frozen=True)
class Manifest:
    """Feature names in the model's input order, and class labels in its output order."""

    features: list[str] | None = None
    classes: list[str] | None = None
    #: Lineage shown in the report: model name, training run, estimator, dataset URI and digest.
    model: str | None = None
    run: str | None = None
    estimator: str | None = None
    dataset: str | None = None
    dataset_digest: str | None = None
    #: Each feature's role (``feature`` unless the manifest says otherwise).
    roles: dict[str, str] | None = None


def read(artifact_uri: str) -> Manifest:
    """The manifest next to the model, or an empty one when there is none."""
    uri = artifacts.join(artifact_uri, artifacts.MANIFEST)
    try:
        raw = artifacts.read_bytes(uri)
    except FileNotFoundError:
        return Manifest()
    try:
        document = json.loads(raw)
        features = document.get("features")
        classes = document.get("classes")
        dataset = document.get("dataset") or {}
        return Manifest(
            features=None if features is None else [str(f["name"]) for f in features],
            classes=None if classes is None else [label_text(c) for c in classes],
            model=_text(document.get("model")),
            run=_text(document.get("run")),
            estimator=_text(document.get("estimator")),
            dataset=_text(dataset.get("uri")),
            dataset_digest=_text(dataset.get("digest")),
            roles=None
            if features is None
            else {str(f["name"]): str(f.get("role") or "feature") for f in features},
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise InvalidModel(f"{uri} is not a valid manifest ({where(error)})") from error


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def label_text(value: object) -> str:
    """One spelling for a class label, whether it came from JSON, ONNX or a dataset.

    Integral floats (``1.0`` from a CSV) and booleans become integers, so the holdout's
    target compares equal to the model's int64 labels.
    """
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

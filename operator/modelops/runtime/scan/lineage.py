"""What the report says the scanned model is: its name, version, run and data, and its inputs.

The features are listed as the model sees them: numeric ones (inside the FP32
``input``) by the kind the detectors treat them as (continuous, integer, binary),
categorical ones as strings, each with its role and its missing rate on the holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modelops.runtime.scan.features import Features
from modelops.runtime.scan.manifest import Manifest


@dataclass(frozen=True)
class FeatureProfile:
    """One input of the model, as the scan found it in the holdout."""

    name: str
    kind: str
    role: str
    missing_rate: float


@dataclass(frozen=True)
class Lineage:
    """Where the model came from, as far as the manifest and the scan's arguments say."""

    model: str | None
    version: str | None
    run: str | None
    estimator: str | None
    dataset: str | None
    dataset_digest: str | None
    features: list[FeatureProfile]


def describe(manifest: Manifest, version: str | None, features: Features) -> Lineage:
    """The lineage of a model from its manifest, with a profile of each of its inputs."""
    roles = manifest.roles or {}
    profiles = [
        FeatureProfile(
            name,
            _numeric_kind(features.numeric[:, index]),
            roles.get(name, "feature"),
            float(np.mean(np.isnan(features.numeric[:, index]))),
        )
        for index, name in enumerate(features.numeric_names)
    ]
    profiles += [
        FeatureProfile(
            name, "categorical", roles.get(name, "feature"), float(np.mean(values == ""))
        )
        for name, values in features.categorical.items()
    ]
    return Lineage(
        model=manifest.model,
        version=version,
        run=manifest.run,
        estimator=manifest.estimator,
        dataset=manifest.dataset,
        dataset_digest=manifest.dataset_digest,
        features=profiles,
    )


def _numeric_kind(column: np.ndarray) -> str:
    values = column[np.isfinite(column)]
    if not np.all(values == np.round(values)):
        return "continuous"
    return "binary" if len(np.unique(values)) == 2 else "integer"

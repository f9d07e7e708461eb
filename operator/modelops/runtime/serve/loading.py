"""Loads the served version's artifacts: model.onnx (after its digest check) and reference.json.

Blocking I/O, meant for an executor thread. Every failure becomes a :class:`LoadError`
whose message is what readiness reports, so ``kubectl describe pod`` says why a pod
never became ready.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from modelops.runtime import artifacts
from modelops.runtime.serve.model import Model, ModelError

log = logging.getLogger(__name__)


class LoadError(Exception):
    """The version cannot be served; the message says why."""


@dataclass(frozen=True)
class Loaded:
    model: Model
    reference: dict[str, Any] | None
    """The reference profile, or None when the artifacts have none (an imported model)."""


def load(
    artifact_uri: str, digest: str, with_reference: bool, budget: float | None = None
) -> Loaded:
    """Read, verify and load the artifacts under ``artifact_uri``; ``budget`` is the
    longest one inference may take, in seconds (None: no limit)."""
    model_uri = artifacts.join(artifact_uri, artifacts.MODEL)
    try:
        data = artifacts.read_verified(model_uri, digest)
    except artifacts.DigestMismatch as error:
        raise LoadError(f"digest mismatch: {error}; refusing to load the model") from error
    except (OSError, ValueError) as error:
        raise LoadError(f"cannot read {model_uri}: {error}") from error
    try:
        model = Model.from_bytes(data, budget)
    except ModelError as error:
        raise LoadError(f"{model_uri}: {error}") from error
    reference = _reference(artifact_uri) if with_reference else None
    return Loaded(model, reference)


def _reference(artifact_uri: str) -> dict[str, Any] | None:
    uri = artifacts.join(artifact_uri, artifacts.REFERENCE)
    try:
        reference = artifacts.read_json(uri)
    except FileNotFoundError:
        log.warning("%s does not exist; drift is not monitored", uri)
        return None
    except (OSError, ValueError) as error:
        raise LoadError(f"cannot read {uri}: {error}") from error
    if not isinstance(reference, dict):
        raise LoadError(f"{uri} is not a JSON object")
    return reference

"""Read the TrainingRun spec the trainer was started with: an env var, an argument or a file."""

from __future__ import annotations

from collections.abc import Mapping

import pydantic

from modelops.api.trainingrun import TrainingRunSpec
from modelops.runtime import artifacts
from modelops.runtime.train import errors
from modelops.runtime.train.errors import InvalidSpec


def from_env(name: str, environ: Mapping[str, str]) -> TrainingRunSpec:
    """The spec held, as JSON, by the environment variable ``name``."""
    text = environ.get(name)
    if text is None:
        raise InvalidSpec(f"the environment variable {name} holding the spec is not set")
    return _validate(text)


def parse(source: str) -> TrainingRunSpec:
    """``source`` is the spec as JSON, or ``@`` and a path or URI holding it."""
    if source.startswith("@"):
        try:
            text = artifacts.read_bytes(source[1:]).decode()
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidSpec(
                f"cannot read the spec from {source[1:]}: {errors.describe(error)}"
            ) from None
    else:
        text = source
    return _validate(text)


def _validate(text: str) -> TrainingRunSpec:
    try:
        return TrainingRunSpec.model_validate_json(text)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidSpec(f"the TrainingRun spec is invalid: {problems}") from None

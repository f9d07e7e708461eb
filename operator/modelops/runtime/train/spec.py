"""Read the TrainingRun spec the trainer was started with, from the command line or a file."""

from __future__ import annotations

import pydantic

from modelops.api.trainingrun import TrainingRunSpec
from modelops.runtime import artifacts
from modelops.runtime.train.errors import InvalidSpec


def parse(source: str) -> TrainingRunSpec:
    """``source`` is the spec as JSON, or ``@`` and a path or URI holding it."""
    if source.startswith("@"):
        try:
            text = artifacts.read_bytes(source[1:]).decode()
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidSpec(f"cannot read the spec from {source[1:]}: {error}") from None
    else:
        text = source
    try:
        return TrainingRunSpec.model_validate_json(text)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidSpec(f"the TrainingRun spec is invalid: {problems}") from None

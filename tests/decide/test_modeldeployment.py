"""Which version a deployment serves, and how it rolls to a new one."""

from __future__ import annotations

from typing import Any

import pytest

from modelops.api.modeldeployment import ModelDeploymentSpec, ModelDeploymentStatus
from modelops.decide.modeldeployment import Candidate, candidates, resolve, rollout


def _version(
    number: int, phase: str = "Validated", stage: str = "None", model: str = "m"
) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{model}-v{number}"},
        "spec": {
            "model": model,
            "version": number,
            "artifactUri": f"s3://a/{number}",
            "digest": "d",
        },
        "status": {"phase": phase, "stage": stage},
    }


def _spec(**fields: Any) -> ModelDeploymentSpec:
    return ModelDeploymentSpec.model_validate({"model": "m", **fields})


FOUND = candidates(
    [
        _version(1, stage="Archived"),
        _version(2, stage="Production"),
        _version(3, stage="Staging"),
        _version(4, phase="Rejected"),
        _version(5, phase="Validating"),
        _version(9, model="other"),
    ],
    "m",
)


def test_candidates_are_the_models_versions_in_order() -> None:
    assert [c.number for c in FOUND] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, 3),
        ({"policy": "stage"}, 2),
        ({"policy": "stage", "stage": "Staging"}, 3),
        ({"version": 1}, 1),
        ({"version": 2, "policy": "stage", "stage": "Staging"}, 2),
    ],
)
def test_the_resolved_version_follows_pin_then_policy(
    fields: dict[str, Any], expected: int
) -> None:
    resolution = resolve(_spec(**fields), FOUND)
    assert resolution.version is not None
    assert resolution.version.number == expected


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"version": 4}, "VersionNotValidated"), ({"version": 7}, "VersionNotFound")],
)
def test_a_version_that_is_not_validated_is_never_served(
    fields: dict[str, Any], reason: str
) -> None:
    resolution = resolve(_spec(**fields), FOUND)
    assert resolution.version is None
    assert resolution.reason == reason


def test_no_validated_version_resolves_to_nothing() -> None:
    resolution = resolve(_spec(), candidates([_version(1, phase="Validating")], "m"))
    assert (resolution.version, resolution.reason) == (None, "NoValidatedVersion")


def _by(number: int) -> Candidate:
    return next(c for c in FOUND if c.number == number)


def test_a_new_version_replaces_the_served_one_and_remembers_it() -> None:
    status = ModelDeploymentStatus(current_version=2)
    chosen = rollout(_spec(replicas=3), status, _by(3), FOUND)
    assert chosen.stable == _by(3)
    assert chosen.canary is None
    assert (chosen.current_version, chosen.previous_version) == (3, 2)


def test_rolling_back_is_setting_the_old_version_again() -> None:
    status = ModelDeploymentStatus(current_version=3, previous_version=2)
    chosen = rollout(_spec(version=2), status, resolve(_spec(version=2), FOUND).version, FOUND)
    assert (chosen.current_version, chosen.previous_version) == (2, 3)


def test_a_canary_keeps_the_served_version_stable_beside_the_new_one() -> None:
    status = ModelDeploymentStatus(current_version=2)
    spec = _spec(replicas=4, rollout={"canary": {"weight": 25}})
    chosen = rollout(spec, status, _by(3), FOUND)
    assert (chosen.stable, chosen.stable_replicas) == (_by(2), 3)
    assert (chosen.canary, chosen.canary_replicas) == (_by(3), 1)
    assert chosen.current_version == 2


def test_canary_weight_100_promotes_the_new_version() -> None:
    status = ModelDeploymentStatus(current_version=2)
    chosen = rollout(_spec(replicas=2, rollout={"canary": {"weight": 100}}), status, _by(3), FOUND)
    assert (chosen.stable, chosen.canary, chosen.current_version) == (_by(3), None, 3)


def test_when_nothing_resolves_the_served_version_keeps_serving() -> None:
    status = ModelDeploymentStatus(current_version=2)
    chosen = rollout(_spec(version=4), status, None, FOUND)
    assert chosen.stable == _by(2)

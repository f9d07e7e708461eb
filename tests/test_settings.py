"""Settings come from MODELOPS_* variables, and the README documents every one."""

from __future__ import annotations

import dataclasses

import pytest

from modelops import settings
from modelops.settings import Settings
from tests.crdschema import ROOT


def test_defaults_apply_when_nothing_is_set() -> None:
    assert Settings.from_env({}) == Settings()


def test_variables_override_and_are_parsed_to_the_field_type() -> None:
    loaded = Settings.from_env(
        {
            "MODELOPS_ARTIFACT_ROOT": "s3://bucket/models",
            "MODELOPS_SERVING_PORT": "9000",
            "MODELOPS_DRIFT_CHECK_SECONDS": "2.5",
            "HOME": "/ignored",
        }
    )
    assert loaded.artifact_root == "s3://bucket/models"
    assert loaded.serving_port == 9000
    assert loaded.drift_check_seconds == 2.5


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match="MODELOPS_SERVING_PORT='eighty'"):
        Settings.from_env({"MODELOPS_SERVING_PORT": "eighty"})


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().namespace = "x"  # type: ignore[misc]


def test_the_readme_settings_table_is_generated_from_the_fields() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings.markdown_table() in readme

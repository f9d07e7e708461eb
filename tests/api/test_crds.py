"""The generated CRDs: structural, described, in step with the models, and enforcing."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field

from modelops.api import crds
from modelops.api.trainingrun import TrainingRunSpec
from tests.crdschema import CRD_DIR, SAMPLES_DIR, crd_schema, load_crds, validation_errors

CRDS = load_crds()


def _walk(node: dict[str, Any], path: str = ""):  # type: ignore[no-untyped-def]
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from _walk(child, f"{path}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], f"{path}.*")
    if "items" in node:
        yield from _walk(node["items"], f"{path}[]")


def test_checked_in_crds_match_the_models() -> None:
    assert crds.stale_files(CRD_DIR) == []


@pytest.mark.parametrize("kind", sorted(CRDS))
def test_every_schema_node_is_typed_and_structural(kind: str) -> None:
    for path, node in _walk(crd_schema(CRDS[kind])):
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), path
        for forbidden in ("$ref", "anyOf", "oneOf", "allOf", "title", "definitions", "$defs"):
            assert forbidden not in node, f"{path} has {forbidden}"
        if "properties" in node:
            assert "additionalProperties" not in node, path


@pytest.mark.parametrize("kind", sorted(CRDS))
def test_every_spec_field_has_a_description(kind: str) -> None:
    spec = crd_schema(CRDS[kind])["properties"]["spec"]
    undescribed = [path for path, node in _walk(spec) if path and not node.get("description")]
    undescribed = [p for p in undescribed if not p.endswith(("[]", ".*"))]
    assert undescribed == []


def test_kinds_carry_short_names_category_and_subresources() -> None:
    short = {kind: crd["spec"]["names"]["shortNames"] for kind, crd in CRDS.items()}
    assert short == {"TrainingRun": ["tr"], "ModelVersion": ["mv"], "ModelDeployment": ["md"]}
    for crd in CRDS.values():
        assert crd["spec"]["names"]["categories"] == ["modelops"]
        version = crd["spec"]["versions"][0]
        assert "status" in version["subresources"]
        columns = [c["name"] for c in version["additionalPrinterColumns"] if "priority" not in c]
        assert "Age" in columns
    scale = CRDS["ModelDeployment"]["spec"]["versions"][0]["subresources"]["scale"]
    assert scale["specReplicasPath"] == ".spec.replicas"
    assert scale["labelSelectorPath"] == ".status.selector"


def test_artifact_uri_and_digest_are_immutable() -> None:
    spec = crd_schema(CRDS["ModelVersion"])["properties"]["spec"]["properties"]
    for field in ("artifactUri", "digest"):
        rules = [v["rule"] for v in spec[field]["x-kubernetes-validations"]]
        assert rules == ["self == oldSelf"]


@pytest.mark.parametrize("path", sorted(SAMPLES_DIR.glob("modelops_v1alpha1_*.yaml")))
def test_samples_validate_against_their_crd(path: Path) -> None:
    sample = yaml.safe_load(path.read_text())
    assert validation_errors(CRDS[sample["kind"]], sample) == []


def _sample(kind: str) -> dict[str, Any]:
    name = f"modelops_v1alpha1_{kind.lower()}.yaml"
    loaded: dict[str, Any] = yaml.safe_load((SAMPLES_DIR / name).read_text())
    return loaded


def _broken(kind: str, *path: str, value: Any = None, delete: bool = False) -> dict[str, Any]:
    obj = copy.deepcopy(_sample(kind))
    node = obj
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("kind", "obj", "field"),
    [
        (
            "TrainingRun",
            _broken("TrainingRun", "spec", "estimator", "name", value="EvalRegressor"),
            "spec.estimator.name",
        ),
        ("TrainingRun", _broken("TrainingRun", "spec", "dataset", delete=True), "spec"),
        (
            "TrainingRun",
            _broken("TrainingRun", "spec", "dataset", "uri", value="ftp://x"),
            "spec.dataset.uri",
        ),
        ("ModelDeployment", _broken("ModelDeployment", "spec", "replicas", value=-1), "replicas"),
        ("ModelDeployment", _broken("ModelDeployment", "spec", "replica", value=2), "replica"),
        ("ModelVersion", _broken("ModelVersion", "spec", "digest", value="md5:00"), "digest"),
        ("ModelVersion", _broken("ModelVersion", "spec", "stage", value="Prod"), "spec.stage"),
    ],
)
def test_invalid_resources_are_rejected_naming_the_field(
    kind: str, obj: dict[str, Any], field: str
) -> None:
    errors = validation_errors(CRDS[kind], obj)
    assert errors, "an invalid resource passed validation"
    assert any(field in error for error in errors), errors


def test_a_model_change_without_regenerating_is_caught(tmp_path: Path) -> None:
    for name, content in crds.expected_files().items():
        (tmp_path / name).write_text(content)
    assert crds.stale_files(tmp_path) == []

    class ChangedSpec(TrainingRunSpec):
        priority: int = Field(default=0, description="A field added to the model.")

    changed = dataclasses.replace(crds.TRAINING_RUN, spec=ChangedSpec)
    kinds = (changed, crds.MODEL_VERSION, crds.MODEL_DEPLOYMENT)
    assert crds.stale_files(tmp_path, kinds) == ["modelops.dev_trainingruns.yaml"]


def test_crds_check_command_names_the_stale_file(tmp_path: Path) -> None:
    for name, content in crds.expected_files().items():
        (tmp_path / name).write_text(content)
    edited = tmp_path / "modelops.dev_modelversions.yaml"
    edited.write_text(edited.read_text().replace("Version number", "Version nr"))
    result = subprocess.run(
        [sys.executable, "-m", "modelops", "crds", "--check", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "modelops.dev_modelversions.yaml" in result.stderr
    assert "trainingruns" not in result.stderr


def test_a_training_template_inside_a_deployment_stays_editable() -> None:
    spec = crd_schema(CRDS["ModelDeployment"])["properties"]["spec"]
    template = spec["properties"]["retraining"]["properties"]["template"]
    assert "oldSelf" not in yaml.safe_dump(template)
    run_spec = crd_schema(CRDS["TrainingRun"])["properties"]["spec"]
    assert "oldSelf" in yaml.safe_dump(run_spec), "the TrainingRun itself stays immutable"

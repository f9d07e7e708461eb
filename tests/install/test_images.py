"""The Dockerfiles build what the manifests and the settings name, to run as they expect.

No Docker engine runs here, so this reads the Dockerfiles: pinned multi-stage bases, a
non-root numeric user, an entrypoint that is a real ``modelops`` subcommand, and image
names matching the operator's defaults and the manifests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelops.cli import COMMANDS
from modelops.settings import Settings
from tests.install.conftest import MANIFESTS, ROOT, find, kustomize

IMAGES = ROOT / "images"
REGISTRY = "ghcr.io/modelops"
#: Image directory -> the subcommands its pods run.
RUNS = {"operator": {"operator"}, "runtime": {"train", "scan", "serve"}}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def exec_form(dockerfile: Path, keyword: str) -> list[str]:
    values = [rest for key, rest in instructions(dockerfile) if key == keyword]
    assert values, f"{dockerfile} has no {keyword}"
    parsed: list[str] = json.loads(values[-1])
    return parsed


def image_name(directory: str) -> str:
    return f"{REGISTRY}/modelops-{directory}"


def test_there_is_one_image_per_role() -> None:
    assert sorted(p.parent.name for p in IMAGES.glob("*/Dockerfile")) == sorted(RUNS)


@pytest.mark.parametrize("directory", sorted(RUNS))
def test_the_base_is_pinned_and_the_build_is_multi_stage(directory: str) -> None:
    froms = [rest for key, rest in instructions(IMAGES / directory / "Dockerfile") if key == "FROM"]
    assert len(froms) >= 2
    stages = {f.split()[-1] for f in froms if " AS " in f.upper()}
    bases = {f.split()[0] for f in froms} - stages
    assert bases, "no external base image"
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base


@pytest.mark.parametrize("directory", sorted(RUNS))
def test_the_image_runs_as_the_nonroot_uid(directory: str) -> None:
    users = [rest for key, rest in instructions(IMAGES / directory / "Dockerfile") if key == "USER"]
    assert users[-1] == "65532:65532"


@pytest.mark.parametrize("directory", sorted(RUNS))
def test_the_entrypoint_is_a_modelops_subcommand(directory: str) -> None:
    dockerfile = IMAGES / directory / "Dockerfile"
    command = exec_form(dockerfile, "ENTRYPOINT") + exec_form(dockerfile, "CMD")
    assert command[0] == "modelops"
    assert command[1] in COMMANDS
    assert command[1] in RUNS[directory]


@pytest.mark.parametrize("directory", sorted(RUNS))
def test_nothing_is_written_to_the_root_filesystem_at_run_time(directory: str) -> None:
    text = (IMAGES / directory / "Dockerfile").read_text()
    assert "PYTHONDONTWRITEBYTECODE=1" in text
    assert "HOME=/tmp" in text
    assert "compileall" in text


def test_image_names_match_the_settings_and_the_manifests() -> None:
    defaults = Settings()
    assert defaults.trainer_image.rpartition(":")[0] == image_name("runtime")
    assert defaults.server_image.rpartition(":")[0] == image_name("runtime")
    for overlay in ("dev", "prod"):
        objects = kustomize(MANIFESTS / "overlays" / overlay)
        container = find(objects, "Deployment", "modelops-operator")["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["image"].rpartition(":")[0] == image_name("operator")
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["MODELOPS_TRAINER_IMAGE"].rpartition(":")[0] == image_name("runtime")
        assert env["MODELOPS_SERVER_IMAGE"].rpartition(":")[0] == image_name("runtime")


@pytest.mark.parametrize("directory", sorted(RUNS))
def test_the_image_title_is_its_name(directory: str) -> None:
    labels = " ".join(r for k, r in instructions(IMAGES / directory / "Dockerfile") if k == "LABEL")
    assert f'org.opencontainers.image.title="modelops-{directory}"' in labels


def test_the_operator_image_installs_no_machine_learning_library() -> None:
    """The operator never imports them; its image stays small and its attack surface too."""
    operator = " ".join(
        r for k, r in instructions(IMAGES / "operator" / "Dockerfile") if k == "RUN"
    )
    runtime = " ".join(r for k, r in instructions(IMAGES / "runtime" / "Dockerfile") if k == "RUN")
    assert "pip install ." in operator and "[runtime]" not in operator
    assert "'.[runtime,boosting]'" in runtime

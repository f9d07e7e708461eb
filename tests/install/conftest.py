"""Shared by the install tests: the kustomize builds, read once per session.

Every build runs the real ``kubectl kustomize`` (kubectl 1.27+ embeds kustomize 5).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
#: Every kustomization a user applies, by the path they would type.
ENTRY_POINTS = ("default", "overlays/dev", "overlays/prod", "argocd")


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize directory`` builds; fails the test with its stderr."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not on PATH: the install tests build with kubectl kustomize")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


@pytest.fixture(scope="session")
def builds() -> dict[str, list[dict[str, Any]]]:
    """Entry point -> the objects it installs."""
    return {entry: kustomize(MANIFESTS / entry) for entry in ENTRY_POINTS}


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The one object of ``kind`` (and ``name``); fails naming what is there."""
    matches = [
        o for o in objects if o["kind"] == kind and name in (None, o["metadata"].get("name"))
    ]
    present = sorted(f"{o['kind']}/{o['metadata'].get('name')}" for o in objects)
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}: {present}"
    return matches[0]

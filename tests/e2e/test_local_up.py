"""`modelops local up` keeps every object across a restart and leaves no process behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _write_config_map(path: Path) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\ndata: {answer: '42'}\n"
    )
    return path


def _modelops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelops", *args], capture_output=True, text=True, timeout=180
    )


def _kubectl(state: Path, *args: str) -> str:
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig")}
    return subprocess.run(
        ["kubectl", *args], capture_output=True, text=True, env=env, check=True, timeout=60
    ).stdout


def test_a_restart_on_the_same_state_dir_keeps_every_object(tmp_path: Path) -> None:
    state = tmp_path / "local"
    config_map = _write_config_map(tmp_path / "kept.yaml")
    assert (
        _modelops(
            "local", "up", "--detach", "--no-prometheus", "--state-dir", str(state)
        ).returncode
        == 0
    )
    try:
        _kubectl(state, "apply", "-f", str(config_map))
        before = json.loads(_kubectl(state, "get", "configmap", "kept", "-o", "json"))
        assert "trainingruns.modelops.dev" in _kubectl(state, "get", "crds")
    finally:
        assert _modelops("local", "down", "--state-dir", str(state)).returncode == 0
    assert not (state / "local.json").exists()

    assert (
        _modelops(
            "local", "up", "--detach", "--no-prometheus", "--state-dir", str(state)
        ).returncode
        == 0
    )
    try:
        after = json.loads(_kubectl(state, "get", "configmap", "kept", "-o", "json"))
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        assert after["data"] == {"answer": "42"}
        _kubectl(state, "label", "configmap", "kept", "touched=yes")
        touched = json.loads(_kubectl(state, "get", "configmap", "kept", "-o", "json"))
        assert int(touched["metadata"]["resourceVersion"]) > int(
            before["metadata"]["resourceVersion"]
        )
    finally:
        assert _modelops("local", "down", "--state-dir", str(state)).returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""

"""`kubectl apply -k manifests/default` installs modelops, with the real kubectl.

The local cluster's API server takes the place of a real one (no operator of its own);
everything the dev overlay lists must be created, and the CRDs must be served at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.conftest import MANIFESTS, kustomize


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.slow
def test_kubectl_apply_k_default_installs_everything(tmp_path: Path) -> None:
    state = tmp_path / "cluster"
    python = sys.executable
    started = _run(python, "-m", "modelops", "local", "up", "--detach", "--no-operator",
                   "--state-dir", str(state))  # fmt: skip
    assert started.returncode == 0, started.stderr
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig")}
    try:
        applied = _run(
            "kubectl", "apply", "--server-side", "-k", str(MANIFESTS / "default"), env=env
        )
        assert applied.returncode == 0, applied.stderr
        for obj in kustomize(MANIFESTS / "default"):
            meta = obj["metadata"]
            where = ["-n", meta["namespace"]] if "namespace" in meta else []
            kind = f"{obj['kind'].lower()}.{obj['apiVersion'].split('/')[0]}"
            if "/" not in obj["apiVersion"]:
                kind = obj["kind"].lower()
            got = _run("kubectl", "get", kind, meta["name"], *where, "-o", "json", env=env)
            assert got.returncode == 0, got.stderr
            assert json.loads(got.stdout)["metadata"]["name"] == meta["name"]
        served = _run("kubectl", "get", "modelops", "-A", env=env)
        assert served.returncode == 0, served.stderr
    finally:
        stopped = _run(python, "-m", "modelops", "local", "down", "--state-dir", str(state))
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr

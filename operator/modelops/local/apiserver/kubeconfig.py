"""A kubeconfig for the embedded API, usable by kubectl, the kubernetes client and kopf."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_kubeconfig(path: Path, url: str, namespace: str = "default") -> Path:
    """Write a kubeconfig whose current context talks to `url` over plain HTTP, no auth."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "modelops-local", "cluster": {"server": url}}],
        "users": [{"name": "modelops-local", "user": {}}],
        "contexts": [
            {
                "name": "modelops-local",
                "context": {
                    "cluster": "modelops-local",
                    "user": "modelops-local",
                    "namespace": namespace,
                },
            }
        ],
        "current-context": "modelops-local",
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path

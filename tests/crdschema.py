"""Validate custom resources against the generated CRDs, as the API server would.

Tests share this: it reads the checked-in CRD YAML (what users install), applies
the schema's defaults, and rejects unknown fields the way ``kubectl apply``'s
strict field validation does.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
CRD_DIR = ROOT / "crds"
SAMPLES_DIR = ROOT / "manifests" / "samples"


def load_crds() -> dict[str, dict[str, Any]]:
    """Kind -> CRD, from crds/."""
    crds = {}
    for path in sorted(CRD_DIR.glob("modelops.dev_*.yaml")):
        crd = yaml.safe_load(path.read_text())
        crds[crd["spec"]["names"]["kind"]] = crd
    return crds


def crd_schema(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def _strict(node: dict[str, Any]) -> dict[str, Any]:
    node = copy.copy(node)
    if "properties" in node:
        node["properties"] = {k: _strict(v) for k, v in node["properties"].items()}
        if not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _strict(node["additionalProperties"])
    if "items" in node:
        node["items"] = _strict(node["items"])
    return node


def validation_errors(crd: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """Messages ``<field path>: <problem>`` for every schema violation of ``obj``."""
    schema = _strict(crd_schema(crd))
    schema["properties"]["metadata"] = {"type": "object"}
    validator = jsonschema.Draft4Validator(schema)
    messages = []
    for error in validator.iter_errors(obj):
        path = ".".join(str(p) for p in error.absolute_path) or "<root>"
        messages.append(f"{path}: {error.message}")
    return messages

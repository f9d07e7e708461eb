"""The CustomResourceDefinitions of modelops, generated from the API models.

``modelops crds`` writes them to ``crds/``; ``modelops crds --check`` fails, naming
the file, when the checked-in YAML differs from what the models generate.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from modelops import GROUP, VERSION
from modelops.api import modeldeployment, modelversion, trainingrun
from modelops.api.schema import openapi_schema


@dataclass(frozen=True)
class Kind:
    """Naming and presentation of one custom resource kind."""

    kind: str
    plural: str
    short_names: tuple[str, ...]
    spec: type[BaseModel]
    status: type[BaseModel]
    description: str
    printer_columns: tuple[dict[str, Any], ...]
    scale: dict[str, str] | None = None
    categories: tuple[str, ...] = field(default=("modelops",))
    #: A schema for ``metadata.name`` (the only metadata a CRD may restrict), or None.
    name_schema: dict[str, Any] | None = None

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{GROUP}"

    @property
    def file_name(self) -> str:
        return f"{GROUP}_{self.plural}.yaml"


def _column(
    name: str, path: str, type: str = "string", description: str = "", priority: int = 0
) -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "type": type, "jsonPath": path}
    if description:
        column["description"] = description
    if priority:
        column["priority"] = priority
    return column


_AGE = _column("Age", ".metadata.creationTimestamp", "date")

TRAINING_RUN = Kind(
    kind="TrainingRun",
    plural="trainingruns",
    short_names=("tr",),
    spec=trainingrun.TrainingRunSpec,
    status=trainingrun.TrainingRunStatus,
    description="Trains a scikit-learn model on a dataset, exports it to ONNX and registers "
    "it as a ModelVersion.",
    printer_columns=(
        _column("Phase", ".status.phase", description="Pending, Running, Succeeded, Failed"),
        _column("Model", ".spec.model"),
        _column("Version", ".status.modelVersion", description="ModelVersion registered"),
        _column("Metric", ".status.keyMetric", description="Headline holdout metric"),
        _AGE,
        _column("Estimator", ".spec.estimator.name", priority=1),
        _column("Dataset", ".spec.dataset.uri", priority=1),
        _column("Attempts", ".status.attempts", "integer", priority=1),
    ),
)

MODEL_VERSION = Kind(
    kind="ModelVersion",
    plural="modelversions",
    short_names=("mv",),
    spec=modelversion.ModelVersionSpec,
    status=modelversion.ModelVersionStatus,
    description="A registered model version: ONNX artifact, digest, lineage; scanned and "
    "validated before it may reach production.",
    printer_columns=(
        _column("Model", ".spec.model"),
        _column("Version", ".spec.version", "integer"),
        _column("Phase", ".status.phase", description="Pending, Validating, Validated, Rejected"),
        _column("Stage", ".status.stage", description="Stage in effect"),
        _column("Metric", ".status.keyMetric", description="Headline holdout metric"),
        _AGE,
        _column("Run", ".spec.lineage.trainingRun", priority=1),
        _column("Digest", ".spec.digest", priority=1),
        _column("Deployed", ".status.deployedBy", priority=1),
    ),
)

MODEL_DEPLOYMENT = Kind(
    kind="ModelDeployment",
    plural="modeldeployments",
    short_names=("md",),
    spec=modeldeployment.ModelDeploymentSpec,
    status=modeldeployment.ModelDeploymentStatus,
    description="Serves a model version with onnxruntime over the Open Inference Protocol "
    "(V2), exports drift, and retrains when drift stays high.",
    printer_columns=(
        _column("Ready", '.status.conditions[?(@.type=="Ready")].status'),
        _column("Model", ".spec.model"),
        _column("Version", ".status.currentVersion", "integer"),
        _column("Replicas", ".status.readyReplicas", "integer", "Ready serving pods"),
        _column("Drift", ".status.drift.score", "number", "Overall drift score"),
        _AGE,
        _column("Previous", ".status.previousVersion", "integer", priority=1),
        _column("Canary", ".status.canaryVersion", "integer", priority=1),
        _column("URL", ".status.url", priority=1),
    ),
    scale={
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    },
    # Its Service takes its name, and a Service name must be a DNS-1035 label.
    name_schema={
        "type": "string",
        "maxLength": 63,
        "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$",
        "description": "A DNS-1035 label (the Service in front of the model takes this name).",
    },
)

KINDS: tuple[Kind, ...] = (TRAINING_RUN, MODEL_VERSION, MODEL_DEPLOYMENT)


def without_transition_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without CEL rules that compare with ``oldSelf``.

    A TrainingRun's spec is immutable, but the same spec used as a template inside
    another object (a retraining policy) must stay editable.
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "x-kubernetes-validations":
            kept = [rule for rule in value if "oldSelf" not in rule["rule"]]
            if kept:
                out[key] = kept
        elif isinstance(value, dict):
            out[key] = without_transition_rules(value)
        else:
            out[key] = value
    return out


def _spec_schema(kind: Kind) -> dict[str, Any]:
    schema = openapi_schema(kind.spec)
    retraining = schema.get("properties", {}).get("retraining", {}).get("properties", {})
    if "template" in retraining:
        retraining["template"] = without_transition_rules(retraining["template"])
    return schema


def _metadata_schema(kind: Kind) -> dict[str, Any]:
    if kind.name_schema is None:
        return {"type": "object"}
    return {"type": "object", "properties": {"name": dict(kind.name_schema)}}


def render_crd(kind: Kind) -> dict[str, Any]:
    """The apiextensions.k8s.io/v1 CustomResourceDefinition of ``kind``."""
    subresources: dict[str, Any] = {"status": {}}
    if kind.scale is not None:
        subresources["scale"] = dict(kind.scale)
    schema = {
        "type": "object",
        "description": kind.description,
        "properties": {
            "apiVersion": {"type": "string", "description": "Versioned schema of this object."},
            "kind": {"type": "string", "description": "REST resource this object represents."},
            "metadata": _metadata_schema(kind),
            "spec": _spec_schema(kind),
            "status": openapi_schema(kind.status),
        },
        "required": ["spec"],
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": kind.crd_name},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": kind.singular,
                "shortNames": list(kind.short_names),
                "categories": list(kind.categories),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": subresources,
                    "additionalPrinterColumns": list(kind.printer_columns),
                }
            ],
        },
    }


def render_yaml(kind: Kind) -> str:
    header = "# Generated by `modelops crds` from the API models; do not edit.\n"
    return header + yaml.safe_dump(render_crd(kind), sort_keys=False, width=100)


def render_kustomization() -> str:
    files = "".join(f"  - {kind.file_name}\n" for kind in KINDS)
    return (
        "# Generated by `modelops crds`; do not edit.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n{files}"
    )


def expected_files(kinds: tuple[Kind, ...] = KINDS) -> dict[str, str]:
    """File name -> content of everything ``modelops crds`` writes."""
    files = {kind.file_name: render_yaml(kind) for kind in kinds}
    files["kustomization.yaml"] = render_kustomization()
    return files


def stale_files(directory: Path, kinds: tuple[Kind, ...] = KINDS) -> list[str]:
    """Names of the files in ``directory`` that are missing or differ from the models."""
    stale = []
    for name, content in expected_files(kinds).items():
        path = directory / name
        if not path.exists() or path.read_text() != content:
            stale.append(name)
    return stale


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output-dir", type=Path, default=Path("crds"), help="directory of the CRDs (crds)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming each file that differs from the models",
    )


def main(args: argparse.Namespace) -> int:
    directory: Path = args.output_dir
    if args.check:
        stale = stale_files(directory)
        for name in stale:
            print(f"{directory / name}: out of date; run `modelops crds`", file=sys.stderr)
        return 1 if stale else 0
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in expected_files().items():
        (directory / name).write_text(content)
        print(f"wrote {directory / name}")
    return 0

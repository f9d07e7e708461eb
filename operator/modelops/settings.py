"""The operator's settings: one frozen object, read once from ``MODELOPS_*`` variables.

``Settings.from_env(os.environ)`` is called at the edge (the CLI); everything below
receives the object. The README's settings table is generated from the fields here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelops import __version__

PREFIX = "MODELOPS_"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything the operator can be configured with."""

    namespace: str = _setting("", "Namespace the operator watches; empty watches every namespace.")
    artifact_root: str = _setting(
        "file:///var/lib/modelops/artifacts",
        "Default artifact store root (any fsspec URI) for runs that name none.",
    )
    artifact_volume_claim: str = _setting(
        "",
        "PersistentVolumeClaim mounted in trainer, scan and serving pods at the path of a "
        "file:// artifact root; empty mounts nothing.",
    )
    trainer_image: str = _setting(
        f"ghcr.io/modelops/modelops-runtime:{__version__}",
        "Image of the trainer and scan pods.",
    )
    server_image: str = _setting(
        f"ghcr.io/modelops/modelops-runtime:{__version__}",
        "Image of the serving pods (the runtime image serves too).",
    )
    image_pull_policy: str = _setting("IfNotPresent", "imagePullPolicy of rendered pods.")
    service_account: str = _setting(
        "", "Service account of trainer and scan pods when a run names none."
    )
    serving_port: int = _setting(8080, "Port the serving pods listen on.")
    metrics_port: int = _setting(9090, "Port of the operator's own /metrics.")
    prometheus_url: str = _setting(
        "", "Prometheus queried by retraining policies that name none; empty scrapes the pods."
    )
    prometheus_allowed: str = _setting(
        "",
        "Comma-separated URL prefixes a retraining policy's prometheus.url may name; the "
        "operator queries no other URL (besides MODELOPS_PROMETHEUS_URL).",
    )
    allowed_secrets: str = _setting(
        "modelops-*",
        "Comma-separated names or globs of the Secrets a spec may reference for credentials; "
        "a pod gets only these, so a namespace user cannot borrow any Secret of the namespace.",
    )
    allowed_service_accounts: str = _setting(
        "",
        "Comma-separated names or globs of the service accounts a spec's serviceAccountName "
        "may name (with their cloud identity); empty allows none but the namespace default.",
    )
    job_deadline_seconds: int = _setting(
        21600, "activeDeadlineSeconds of trainer Jobs whose TrainingRun sets none."
    )
    trainer_requests: str = _setting(
        "cpu=500m,memory=1Gi", "Trainer resource requests for what a TrainingRun leaves out."
    )
    trainer_limits: str = _setting(
        "cpu=2,memory=4Gi", "Trainer resource limits for what a TrainingRun leaves out."
    )
    drift_check_seconds: float = _setting(
        15.0, "Fallback interval between drift checks, in seconds."
    )
    log_level: str = _setting("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read every field from ``MODELOPS_<FIELD>``; absent variables keep the default.

        A value that does not parse raises ``ValueError`` naming the variable.
        """
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            name = env_name(spec.name)
            if name not in environ:
                continue
            raw = environ[name]
            try:
                values[spec.name] = _parse(spec.type, raw)
            except ValueError as error:
                raise ValueError(f"{name}={raw!r}: {error}") from None
        return cls(**values)


def quantities(text: str) -> dict[str, str]:
    """``cpu=2,memory=4Gi`` as ``{"cpu": "2", "memory": "4Gi"}``."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def names(text: str) -> list[str]:
    """A comma-separated list of names or globs."""
    return [item.strip() for item in text.split(",") if item.strip()]


def env_name(field_name: str) -> str:
    return PREFIX + field_name.upper()


def _parse(type_name: object, raw: str) -> Any:
    if type_name in ("int", int):
        return int(raw)
    if type_name in ("float", float):
        return float(raw)
    return raw


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for spec in dataclasses.fields(Settings):
        default = spec.default if spec.default != "" else "(empty)"
        rows.append(f"| `{env_name(spec.name)}` | `{default}` | {spec.metadata['help']} |")
    return "\n".join(rows) + "\n"

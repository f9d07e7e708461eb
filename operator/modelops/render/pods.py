"""Pieces every pod modelops renders shares: Pod Security Standards "restricted", volumes.

Trainer, scanner and serving pods all run as a non-root user with a read-only root
filesystem, no privilege escalation, all capabilities dropped and the runtime's
default seccomp profile; /tmp is a memory-backed emptyDir.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from modelops.settings import Settings

RUN_AS = 65532
TERMINATION_MESSAGE_PATH = "/dev/termination-log"


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def volumes(
    settings: Settings, artifact_uri: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, volumeMounts): a writable /tmp, and the artifact claim for file:// roots."""
    vols: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"medium": "Memory"}}]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    parsed = urlparse(settings.artifact_root)
    if (
        settings.artifact_volume_claim
        and parsed.scheme == "file"
        and artifact_uri.startswith(settings.artifact_root)
    ):
        vols.append(
            {
                "name": "artifacts",
                "persistentVolumeClaim": {"claimName": settings.artifact_volume_claim},
            }
        )
        mounts.append({"name": "artifacts", "mountPath": parsed.path})
    return vols, mounts


def literal(args: list[str]) -> list[str]:
    """``args`` as the program must see them: every ``$`` doubled.

    Kubernetes (and the local kubelet) expand ``$(NAME)`` in a container's args from its
    environment, which holds the referenced Secrets' keys; doubled, ``$$`` comes back as
    ``$`` and nothing a user wrote can name a variable.
    """
    return [arg.replace("$", "$$") for arg in args]


def env_from_secrets(*secrets: str | None) -> list[dict[str, Any]]:
    """envFrom entries for credential Secrets: keys become variables, values stay in the Secret."""
    return [{"secretRef": {"name": name}} for name in dict.fromkeys(s for s in secrets if s)]


def resources(requests: dict[str, str], limits: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if requests:
        out["requests"] = dict(requests)
    if limits:
        out["limits"] = dict(limits)
    return out

"""The PSS checker itself must catch what the restricted profile forbids."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.pss import violations

COMPLIANT: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
}


def test_a_compliant_pod_passes() -> None:
    assert violations(COMPLIANT) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("hostNetwork",), True, "hostNetwork"),
        (("volumes",), [{"name": "h", "hostPath": {"path": "/"}}], "hostPath"),
        (("containers", 0, "securityContext", "privileged"), True, "privileged"),
        (("containers", 0, "securityContext", "allowPrivilegeEscalation"), True, "Escalation"),
        (("containers", 0, "securityContext", "capabilities"), {"add": ["SYS_ADMIN"]}, "ALL"),
        (("securityContext", "runAsNonRoot"), False, "runAsNonRoot"),
        (("securityContext", "seccompProfile"), {"type": "Unconfined"}, "seccomp"),
        (("containers", 0, "ports"), [{"containerPort": 80, "hostPort": 80}], "hostPort"),
    ],
)
def test_each_forbidden_setting_is_reported(
    path: tuple[Any, ...], value: Any, expected: str
) -> None:
    pod = copy.deepcopy(COMPLIANT)
    node: Any = pod
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert any(expected in v for v in violations(pod)), violations(pod)

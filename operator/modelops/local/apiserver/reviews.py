"""Answers to the authorization and authentication reviews kubectl sends (`kubectl auth`).

The local cluster has one user, the person at the keyboard, with every right (its
kubeconfig carries no credentials and no authorizer runs), so a SelfSubjectAccessReview
is always allowed, with a reason that says so, rather than a guess from the RBAC objects
stored here, which nothing enforces.
"""

from __future__ import annotations

from typing import Any

from .kinds import ResourceType

Obj = dict[str, Any]

USER = "local-admin"
_REASON = "the modelops local cluster has no authorizer: every request is allowed"


def answer(rtype: ResourceType, body: Obj) -> Obj:
    """The review `body` with its status filled in."""
    result: Obj = {
        "kind": rtype.kind,
        "apiVersion": rtype.api_version,
        "metadata": {"creationTimestamp": None},
        "spec": body.get("spec") or {},
    }
    if rtype.kind == "SelfSubjectAccessReview":
        result["status"] = {"allowed": True, "reason": _REASON}
    elif rtype.kind == "SelfSubjectRulesReview":
        everything = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
        result["status"] = {
            "resourceRules": [everything],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        result["status"] = {"userInfo": {"username": USER, "groups": ["system:masters"]}}
    return result

"""Kubernetes `Status` errors, raised anywhere in the server and answered in one place.

Every failure a client can see is an `ApiError`: the middleware turns it into the
`Status` object (kind Status, apiVersion v1, status Failure) with the HTTP code, reason
and details the real API server would send, so clients' error handling works unchanged.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


class ApiError(Exception):
    """A request that fails with a Kubernetes `Status`."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Obj | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after = retry_after

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def not_found(qualified: str, name: str) -> ApiError:
    group, kind = _split(qualified)
    return ApiError(
        404,
        "NotFound",
        f'{qualified} "{name}" not found',
        {"name": name, "group": group, "kind": kind},
    )


def no_such_resource(path: str) -> ApiError:
    return ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")


def already_exists(qualified: str, name: str) -> ApiError:
    group, kind = _split(qualified)
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified} "{name}" already exists',
        {"name": name, "group": group, "kind": kind},
    )


def conflict(qualified: str, name: str) -> ApiError:
    group, kind = _split(qualified)
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        {"name": name, "group": group, "kind": kind},
    )


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown "
        f"format - accepted media types include: application/json, "
        f"application/yaml (got {content_type!r})",
    )


def invalid(kind: str, group: str, name: str, causes: list[Obj]) -> ApiError:
    """422 Invalid: `causes` are `{reason, message, field}` as Kubernetes reports them."""
    qualified = f"{kind}.{group}" if group else kind
    summary = "; ".join(
        f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes
    )
    if len(causes) > 1:
        summary = f"[{summary}]"
    return ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {summary}',
        {"name": name, "group": group, "kind": kind, "causes": causes},
    )


def _split(qualified: str) -> tuple[str, str]:
    """`trainingruns.modelops.dev` -> (group, resource), as Status details name them."""
    resource, _, group = qualified.partition(".")
    return group, resource

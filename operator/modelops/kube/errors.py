"""Errors of API calls, by the status the server answered.

ApiError (any non-2xx answer, with status code, reason and message)
  NotFound (404), Conflict (409, stale resourceVersion), AlreadyExists (409 on create),
  Invalid (422), Gone (410)
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The API server refused a call; ``status``, ``reason`` and ``message`` say why."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class AlreadyExists(Conflict):
    pass


class Invalid(ApiError):
    pass


class Gone(ApiError):
    pass


def from_response(status: int, body: Any) -> ApiError:
    """The error for a non-2xx answer whose body is (usually) a Kubernetes Status."""
    reason = ""
    message = str(body)[:500]
    if isinstance(body, dict):
        reason = str(body.get("reason", ""))
        message = str(body.get("message", message))
    if status == 404:
        return NotFound(status, reason or "NotFound", message)
    if status == 409:
        cls = AlreadyExists if reason == "AlreadyExists" else Conflict
        return cls(status, reason or "Conflict", message)
    if status == 422:
        return Invalid(status, reason or "Invalid", message)
    if status == 410:
        return Gone(status, reason or "Gone", message)
    return ApiError(status, reason or "Error", message)

"""Why a scan could not run at all, as reasons the operator understands.

``ScanError`` is the base; each subclass carries the ``reason`` written to the
termination message and whether retrying the Job could help (``permanent``).
A scan that runs and rejects the model is not an error: it is a result.

What an error says reaches the ModelVersion's status, its Events and the pod's
log, which more people read than may read the files the scan fetched (a holdout
URI may name ``file:///etc/passwd`` or a metadata endpoint). So a message names
the file, the kind of failure and where it happened (line, column, field), and
never a value read from the file: ``where`` turns a parser's exception into that.
"""

from __future__ import annotations

from typing import Any

from modelops.runtime.termination import PodFailure


class ScanError(PodFailure):
    """The scan could not complete."""

    reason = "ScanFailed"


class DigestMismatch(ScanError):
    """model.onnx does not have the digest the ModelVersion declares."""

    reason = "DigestMismatch"
    permanent = True


class InvalidModel(ScanError):
    """The model cannot be loaded or does not follow the ONNX contract."""

    reason = "InvalidModel"
    permanent = True


class HoldoutNotFound(ScanError):
    """No holdout dataset at the URI (it may appear later, so not permanent)."""

    reason = "HoldoutNotFound"


class InvalidHoldout(ScanError):
    """The holdout dataset cannot be read or does not fit the model."""

    reason = "InvalidHoldout"
    permanent = True


def where(error: BaseException) -> str:
    """The kind of a parser's failure and its position, without the text it failed on.

    ``JSONDecodeError`` gives line and column, ``UnicodeDecodeError`` the byte offset,
    a pydantic ``ValidationError`` the fields and the kind of each error; anything
    else only its type, since its message may quote the data.
    """
    kind = type(error).__name__
    if isinstance(error, ValueError) and hasattr(error, "lineno") and hasattr(error, "colno"):
        return f"{kind} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"{kind} at byte {error.start}"
    errors = getattr(error, "errors", None)
    if callable(errors) and kind == "ValidationError":
        return f"{kind}: " + "; ".join(_field_error(e) for e in errors()[:10])
    return kind


def _field_error(error: Any) -> str:
    location = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
    return f"{location}: {error.get('type', 'invalid')}"

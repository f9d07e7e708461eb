"""Why a scan could not run at all, as reasons the operator understands.

``ScanError`` is the base; each subclass carries the ``reason`` written to the
termination message and whether retrying the Job could help (``permanent``).
A scan that runs and rejects the model is not an error: it is a result.
"""

from __future__ import annotations

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

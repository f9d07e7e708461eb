"""Why a training run failed, as a reason the operator can act on.

Each error carries the CamelCase reason written to the termination message and the
exit code of the trainer pod. Exit code 1 lets the Job retry (a dataset may land
later); exit code 2 is permanent (the spec or the data must change first).

    TrainError
      DatasetNotFound   no file at the dataset URI yet (retryable)
      InvalidDataset    unreadable, empty or of unknown format
      InvalidSpec       the spec does not fit the data or the estimator
      MissingExtra      the estimator needs an optional extra this image lacks
      ExportMismatch    the ONNX export does not reproduce the fitted model
      ArtifactsExist    the output location already holds a finished run

Anything else ends as ``TrainingFailed`` with exit code 1.

A message never quotes what was read: the dataset URI may name any file or endpoint the
pod can reach (``file:///etc/passwd``, a metadata service), and the message lands in the
run's status and Events. It names the kind of error and where it is (file, row, column
number, a column the spec named); ``describe`` strips a library's message to that.
"""

from __future__ import annotations

import re
import traceback

from modelops.runtime.termination import PodFailure

#: Reason of a failure that is none of the errors below.
TRAINING_FAILED = "TrainingFailed"

#: Longest library message kept by ``describe``.
DETAIL_LIMIT = 160

_QUOTED = re.compile(r"'[^'\n]*'?|\"[^\"\n]*\"?|`[^`\n]*`?")


class TrainError(PodFailure):
    """A failure whose message says what to fix."""

    reason = TRAINING_FAILED


class DatasetNotFound(TrainError):
    reason = "DatasetNotFound"


class InvalidDataset(TrainError):
    reason = "InvalidDataset"
    permanent = True


class InvalidSpec(TrainError):
    reason = "InvalidSpec"
    permanent = True


class MissingExtra(TrainError):
    reason = "MissingExtra"
    permanent = True


class ExportMismatch(TrainError):
    reason = "ExportMismatch"
    permanent = True


class ArtifactsExist(TrainError):
    reason = "ArtifactsExist"
    permanent = True


def describe(error: BaseException) -> str:
    """``Kind: first line`` of a library's error, quoted text in it replaced by ``'...'``.

    Libraries quote the values they choke on (``could not convert string to float:
    'root:x:0:0'``); the kind and the shape of the message are kept, the values are not.
    """
    lines = str(error).strip().splitlines()
    detail = _QUOTED.sub("'...'", lines[0] if lines else "")
    if len(detail) > DETAIL_LIMIT:
        detail = detail[:DETAIL_LIMIT] + "..."
    kind = type(error).__name__
    return f"{kind}: {detail}" if detail else kind


def describe_unexpected(error: BaseException) -> str:
    """An error the trainer did not foresee: its kind and where it was raised, no text."""
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        frame = frames[-1]
        path = frame.filename.replace("\\", "/")
        where = f" at {path.rsplit('/', 1)[-1]}:{frame.lineno}"
    return (
        f"{type(error).__name__}{where} (a trainer error, its text withheld as it may quote "
        "the data); the trainer pod's log has the traceback"
    )

"""Why a training run failed, as a reason the operator can act on.

Each error carries the CamelCase reason written to the termination message and the
exit code of the trainer pod. Exit code 1 lets the Job retry (a dataset may land
later); exit code 2 is permanent (the spec or the data must change first).

    TrainError
      DatasetNotFound   no file at the dataset URI yet (retryable)
      InvalidDataset    unreadable, empty or of unknown format
      InvalidSpec       the spec does not fit the data or the estimator
      ExportMismatch    the ONNX export does not reproduce the fitted model

Anything else ends as ``TrainingFailed`` with exit code 1.
"""

from __future__ import annotations

from modelops.runtime.termination import PodFailure

#: Reason of a failure that is none of the errors below.
TRAINING_FAILED = "TrainingFailed"


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


class ExportMismatch(TrainError):
    reason = "ExportMismatch"
    permanent = True

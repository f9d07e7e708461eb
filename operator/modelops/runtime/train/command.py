"""``modelops train``: the trainer pod's entry point.

    modelops train --spec JSON_OR_@FILE --output URI --run NAME

``--spec`` is the TrainingRun's spec as JSON, camelCase as in the custom resource,
or ``@`` followed by a path or URI to read it from. Progress goes to stdout as JSON
lines; the outcome goes to the termination message (see ``termination``). Exit code
0 on success, 2 when the spec or the data must change first (InvalidSpec,
InvalidDataset, ExportMismatch), 1 when a retry may succeed (DatasetNotFound,
TrainingFailed).
"""

from __future__ import annotations

import argparse
import os
import sys

from modelops.runtime import heap
from modelops.runtime.termination import RETRYABLE
from modelops.runtime.train import errors, termination


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        required=True,
        help="the TrainingRun spec as JSON (camelCase, as in the resource), or @PATH to read it",
    )
    parser.add_argument(
        "--output",
        required=True,
        help="artifact directory URI (the operator passes <artifact root>/<model>/<run name>)",
    )
    parser.add_argument("--run", required=True, help="name of the TrainingRun")


def main(args: argparse.Namespace) -> int:
    try:
        # scikit-learn, skl2onnx and onnxruntime load here, not when `modelops --help` runs.
        from modelops.runtime.train import spec, trainer

        # One run, then the process exits: what the imports built lives until then.
        heap.freeze_once()
        result = trainer.train(spec.parse(args.spec), args.output, args.run)
    except errors.TrainError as error:
        return _fail(error.reason, str(error), error.exit_code)
    except Exception as error:  # the pod must always leave a reason behind
        message = f"{type(error).__name__}: {error}"
        return _fail(errors.TRAINING_FAILED, message, RETRYABLE)
    termination.write(result.summary(), os.environ)
    return 0


def _fail(reason: str, message: str, code: int) -> int:
    print(f"{reason}: {message}", file=sys.stderr, flush=True)
    termination.write(termination.failure(reason, message), os.environ)
    return code

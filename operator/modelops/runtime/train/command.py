"""``modelops train``: the trainer pod's entry point.

    modelops train (--spec JSON_OR_@FILE | --spec-env NAME) --output URI --run NAME

``--spec`` is the TrainingRun's spec as JSON, camelCase as in the custom resource,
or ``@`` followed by a path or URI to read it from; ``--spec-env`` names the environment
variable holding that JSON. The operator uses ``--spec-env``: Kubernetes expands
``$(VAR)`` in a container's args from its environment (which holds the storage
Secret), so user text in args could pull a secret into the spec; in an env var's value
the operator escapes every ``$`` as ``$$``, which Kubernetes turns back into ``$``.

``MODELOPS_CPU_LIMIT`` (the container's CPU limit, through the downward API) caps the
estimator's threads; see ``limits``. Progress goes to stdout as JSON
lines; the outcome goes to the termination message (see ``termination``). Exit code
0 on success, 2 when the spec or the data must change first (InvalidSpec,
InvalidDataset, ExportMismatch), 1 when a retry may succeed (DatasetNotFound,
TrainingFailed).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from modelops.runtime import heap
from modelops.runtime.termination import RETRYABLE
from modelops.runtime.train import errors, termination


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--spec",
        help="the TrainingRun spec as JSON (camelCase, as in the resource), or @PATH to read it",
    )
    source.add_argument(
        "--spec-env",
        metavar="NAME",
        help="read the TrainingRun spec as JSON from the environment variable NAME",
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
        from modelops.runtime.train import limits, spec, trainer

        # One run, then the process exits: what the imports built lives until then.
        heap.freeze_once()
        if args.spec_env is not None:
            parsed = spec.from_env(args.spec_env, os.environ)
        else:
            parsed = spec.parse(args.spec)
        cpus = limits.cpu_limit(os.environ)
        result = trainer.train(parsed, args.output, args.run, cpus=cpus)
    except errors.TrainError as error:
        return _fail(error.reason, str(error), error.exit_code)
    except Exception as error:  # the pod must always leave a reason behind
        # Its text may quote what was read (a row, a response body): the summary and the log
        # get its kind and where it was raised, never its text.
        traceback.print_tb(error.__traceback__, file=sys.stderr)
        return _fail(errors.TRAINING_FAILED, errors.describe_unexpected(error), RETRYABLE)
    termination.write(result.summary(), os.environ)
    return 0


def _fail(reason: str, message: str, code: int) -> int:
    print(f"{reason}: {message}", file=sys.stderr, flush=True)
    termination.write(termination.failure(reason, message), os.environ)
    return code

"""``modelops scan``: the entry point of the scan Job's container.

Scans one ModelVersion, writes findings.json and report.html to ``--report-uri`` (a
location of the version's own, never the artifact directory it reads, so a scan cannot
overwrite the report of another version whose artifacts it was pointed at; without
the option, next to the model, as older Jobs expect) and a compact JSON summary to
the termination-message path, where the operator reads it. Exit code 0 when the scan
completed and passed; 2 when it completed and rejected the model, or when retrying
cannot help (DigestMismatch, InvalidModel, InvalidHoldout); 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelops.api.trainingrun import Task

if TYPE_CHECKING:
    from modelops.runtime.scan.scanner import ScanRequest, ScanResult


log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--artifact-uri", required=True, help="directory URI holding model.onnx")
    parser.add_argument("--digest", required=True, help="sha256:<hex> of model.onnx")
    parser.add_argument("--task", required=True, choices=[str(task) for task in Task])
    parser.add_argument(
        "--holdout-uri",
        help="holdout dataset (.parquet or .csv); default: <artifact-uri>/holdout.parquet",
    )
    parser.add_argument("--target", default="target", help="target column of the holdout")
    parser.add_argument(
        "--policy",
        default="{}",
        help="ValidationPolicy as JSON (camelCase), or @FILE to read it from a file",
    )
    parser.add_argument("--champion-uri", help="artifact URI of the Production version")
    parser.add_argument("--champion-digest", help="sha256:<hex> of the champion's model.onnx")
    parser.add_argument("--champion-name", help="name of the champion, for messages")
    parser.add_argument("--model-version", help="name of the ModelVersion scanned, for the report")
    parser.add_argument(
        "--report-uri",
        "--output",
        dest="report_uri",
        help="directory URI where findings.json and report.html go, apart from the artifacts "
        "the scan reads; default (kept for old Jobs only): the artifact URI",
    )


def main(args: argparse.Namespace) -> int:
    from modelops.runtime.scan import results, scanner
    from modelops.runtime.scan.errors import ScanError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        result = scanner.run(_request(args))
        message = _publish(result, args)
    except ScanError as error:
        log.error("scan failed: %s: %s", error.reason, error)
        _terminate(results.failure_message(error))
        return error.exit_code
    except Exception as error:
        # The frames, not the message: an exception's text may quote what was read.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("scan failed: unexpected %s\n%s", type(error).__name__, frames)
        _terminate(results.failure_message(ScanError(f"unexpected {type(error).__name__}")))
        return 1
    _terminate(message)
    log.info("scan %s: %s", "passed" if result.passed else "rejected", result.summary())
    print(results.serialise(message))
    # A rejection ends the Job Failed (no retry: the podFailurePolicy's permanent code), so a
    # Complete scan Job is itself the record that the version passed.
    from modelops.runtime import termination

    return 0 if result.passed else termination.PERMANENT


def _publish(result: ScanResult, args: argparse.Namespace) -> dict[str, Any]:
    """Write findings.json and report.html; return the termination message pointing at them."""
    from modelops.runtime import artifacts
    from modelops.runtime.scan import report, results

    output = args.report_uri or args.artifact_uri
    findings_uri = artifacts.join(output, artifacts.FINDINGS)
    report_uri = artifacts.join(output, artifacts.REPORT)
    artifacts.write_json(findings_uri, results.findings_document(result, args.digest))
    artifacts.write_bytes(
        report_uri, report.render(result, args.model_version or args.artifact_uri).encode()
    )
    return results.termination_message(result, report_uri, findings_uri)


def _request(args: argparse.Namespace) -> ScanRequest:
    from pydantic import ValidationError

    from modelops.api.validation import ValidationPolicy
    from modelops.runtime.scan import scanner
    from modelops.runtime.scan.errors import ScanError, where

    text = args.policy
    try:
        if text.startswith("@"):
            text = Path(text[1:]).read_text()
        policy = ValidationPolicy.model_validate(json.loads(text))
    except (OSError, ValueError, ValidationError) as error:
        raise ScanError(f"invalid --policy ({where(error)})") from error
    champion = None
    if args.champion_uri:
        if not args.champion_digest:
            raise ScanError("--champion-uri needs --champion-digest")
        champion = scanner.ChampionModel(
            name=args.champion_name or args.champion_uri,
            artifact_uri=args.champion_uri,
            digest=args.champion_digest,
        )
    return scanner.ScanRequest(
        artifact_uri=args.artifact_uri,
        digest=args.digest,
        task=Task(args.task),
        policy=policy,
        holdout_uri=args.holdout_uri,
        target=args.target,
        champion=champion,
        version=args.model_version,
    )


def _terminate(message: dict[str, Any]) -> None:
    """Write the termination message where Kubernetes reads it."""
    from modelops.runtime import termination
    from modelops.runtime.scan import results

    termination.write(results.serialise(message).encode(), os.environ)

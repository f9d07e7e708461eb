"""The scan's outputs as JSON: the full findings.json and the compact termination message.

Both are plain dicts with camelCase keys, built by pure functions from a
``ScanResult``, so what the operator reads can be tested without running a scan.
The termination message must fit in 4 KiB (Kubernetes truncates beyond it). It
carries every finding, blocking ones first, each with the ``validation.*`` setting
and value that would clear it; when they do not fit, messages are shortened at a
word (never inside the setting, which has its own field), then left out, and only
then are the least severe findings dropped, counted in ``omitted``. Never cut
mid-JSON.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from typing import Any

from modelops.api.validation import Finding
from modelops.runtime import termination
from modelops.runtime.scan.errors import ScanError
from modelops.runtime.scan.scanner import ScanResult

#: Message lengths tried, longest first, until the summary fits (0: no message).
MESSAGE_CHARACTERS = (240, 160, 80, 0)


def findings_document(result: ScanResult, digest: str) -> dict[str, Any]:
    """findings.json: every finding, the holdout metrics, and what each detector measured."""
    comparison = result.comparison
    return {
        "passed": result.passed,
        "task": str(result.task),
        "digest": digest,
        "holdoutUri": result.holdout_uri,
        "rows": result.rows,
        "summary": result.summary(),
        "metrics": _present(result.metrics),
        "beatsChampion": None if comparison is None else comparison.beats,
        "champion": None
        if comparison is None
        else {
            "name": comparison.champion,
            "metric": comparison.metric,
            "value": comparison.champion_value,
            "challengerValue": comparison.challenger_value,
            "metrics": _present(comparison.champion_metrics),
        },
        "findings": [finding.to_api() for finding in result.findings],
        "notes": result.notes,
        "slices": [_camel(asdict(score)) for score in result.slices],
        "calibration": None if result.calibration is None else _camel(asdict(result.calibration)),
        "singleFeatureScores": result.feature_scores,
        "timings": {step: round(seconds, 3) for step, seconds in result.timings.items()},
    }


def termination_message(result: ScanResult, report_uri: str, findings_uri: str) -> dict[str, Any]:
    """The summary the operator reads from the pod, at most 4 KiB once serialised."""
    comparison = result.comparison
    blocking = [f for f in result.findings if f in result.blocking]
    ordered = blocking + [f for f in result.findings if f not in result.blocking]
    message: dict[str, Any] = {
        "ok": True,
        "passed": result.passed,
        "summary": result.summary(),
        "findings": [],
        "metrics": {name: round(value, 6) for name, value in _present(result.metrics).items()},
        "beatsChampion": None if comparison is None else comparison.beats,
        "reportUri": report_uri,
        "findingsUri": findings_uri,
    }
    for characters in MESSAGE_CHARACTERS:
        message["findings"] = [_compact(f, f in result.blocking, characters) for f in ordered]
        if _size(message) <= termination.LIMIT:
            return message
    while _size(message) > termination.LIMIT and message["findings"]:
        message["findings"].pop()
        message["omitted"] = len(ordered) - len(message["findings"])
    if _size(message) > termination.LIMIT:
        message["metrics"] = {}
    return message


def failure_message(error: ScanError) -> dict[str, Any]:
    """The termination message of a scan that could not run."""
    return termination.failure(error.reason, str(error)[:2000])


def serialise(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), sort_keys=True)


def shorten(text: str, characters: int) -> str:
    """``text`` cut at a word boundary to at most ``characters``, marked with "..."."""
    if len(text) <= characters:
        return text
    return textwrap.shorten(text, width=characters, placeholder=" ...")


def _compact(finding: Finding, blocking: bool, characters: int) -> dict[str, Any]:
    data = finding.to_api()
    if characters:
        data["message"] = shorten(str(data["message"]), characters)
    else:
        del data["message"]
    data["blocking"] = blocking
    return data


def _present(metrics: dict[str, float | None]) -> dict[str, float]:
    return {name: value for name, value in metrics.items() if value is not None}


def _size(message: dict[str, Any]) -> int:
    return len(serialise(message).encode())


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_key(k): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _camel_key(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)

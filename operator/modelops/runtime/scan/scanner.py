"""The scan from start to finish: load, evaluate, run the detectors, judge.

``run`` is what ``modelops scan`` calls and what tests and benchmarks call directly.
It reads (model, manifest, holdout, training row hashes, champion) and returns a
``ScanResult``; writing the outputs is left to the command, so a scan can be run
and inspected without touching the artifact directory.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, Settings, Severity, ValidationPolicy
from modelops.runtime import artifacts
from modelops.runtime.scan import errors, evaluate, holdout, lineage, manifest, model, subject
from modelops.runtime.scan.detectors import (
    calibration,
    champion,
    floors,
    leakage,
    robustness,
    slices,
    stochasticity,
)
from modelops.runtime.scan.errors import ScanError

log = logging.getLogger(__name__)
T = TypeVar("T")
_SEVERITY_ORDER = {Severity.MAJOR: 0, Severity.MEDIUM: 1, Severity.MINOR: 2}


@dataclass(frozen=True)
class ChampionModel:
    """The model's current Production version, to compare the candidate with."""

    name: str
    artifact_uri: str
    digest: str


@dataclass(frozen=True)
class ScanRequest:
    """What to scan, against which data, under which policy."""

    artifact_uri: str
    digest: str
    task: Task
    policy: ValidationPolicy = field(default_factory=ValidationPolicy)
    holdout_uri: str | None = None
    target: str = "target"
    champion: ChampionModel | None = None
    #: The ModelVersion's name, for the report.
    version: str | None = None

    @property
    def holdout(self) -> str:
        return self.holdout_uri or artifacts.join(self.artifact_uri, artifacts.HOLDOUT)


@dataclass(frozen=True)
class ScanResult:
    """Everything the scan measured and found."""

    task: Task
    holdout_uri: str
    rows: int
    metrics: evaluate.Metrics
    #: Every finding, most severe first.
    findings: list[Finding]
    passed: bool
    blocking: list[Finding]
    notes: list[str]
    comparison: champion.Comparison | None
    slices: list[slices.SliceScore]
    calibration: calibration.Calibration | None
    feature_scores: dict[str, float]
    #: Seconds spent in each step.
    timings: dict[str, float]
    #: The model, version, run and dataset, and the features as the model sees them.
    lineage: lineage.Lineage | None = None

    def summary(self) -> dict[str, int]:
        """Number of findings by severity."""
        return {
            str(severity): sum(1 for f in self.findings if f.severity == severity)
            for severity in Severity
        }


def run(request: ScanRequest) -> ScanResult:
    """Scan the model; raise ``ScanError`` only when it cannot be scanned at all."""
    timings: dict[str, float] = {}
    policy = request.policy
    settings = policy.settings()
    described = manifest.read(request.artifact_uri)
    scanned = _timed(
        timings, "load", lambda: _load(request.artifact_uri, request.digest, request, described)
    )
    metrics = _timed(timings, "metrics", lambda: evaluate.compute(scanned))
    findings = floors.detect(metrics, request.task, policy)
    notes: list[str] = []
    comparison = None
    if request.champion is not None and policy.champion.enabled:
        comparison, found = _timed(
            timings, "champion", lambda: _champion(request, metrics, settings, notes)
        )
        findings += found
    slice_scores: list[slices.SliceScore] = []
    if policy.slice_bias.enabled:
        found, slice_scores = _timed(
            timings, "slice_bias", lambda: slices.detect(scanned, settings)
        )
        findings += found
    if policy.robustness.enabled:
        findings += _timed(timings, "robustness", lambda: robustness.detect(scanned, settings))
    curve = None
    if policy.calibration.enabled and request.task == Task.CLASSIFICATION:
        found, curve = _timed(timings, "calibration", lambda: calibration.detect(scanned, settings))
        findings += found
    feature_scores: dict[str, float] = {}
    if policy.leakage.enabled:
        findings += _timed(
            timings, "shared_rows", lambda: _shared_rows(request, scanned, settings, notes)
        )
        found, feature_scores = _timed(
            timings, "single_feature", lambda: leakage.single_feature(scanned, settings)
        )
        findings += found
    if policy.stochasticity.enabled:
        findings += _timed(timings, "stochasticity", lambda: stochasticity.detect(scanned))
    findings.sort(key=lambda f: _SEVERITY_ORDER[Severity(f.severity)])
    blocking = [f for f in findings if f.severity in policy.block_on]
    return ScanResult(
        task=request.task,
        holdout_uri=request.holdout,
        rows=scanned.holdout.rows,
        metrics=metrics,
        findings=findings,
        passed=not blocking,
        blocking=blocking,
        notes=notes,
        comparison=comparison,
        slices=slice_scores,
        calibration=curve,
        feature_scores=feature_scores,
        timings=timings,
        lineage=lineage.describe(described, request.version, scanned.features),
    )


def _load(
    artifact_uri: str, digest: str, request: ScanRequest, described: manifest.Manifest
) -> subject.Subject:
    """Model (digest first), then the holdout arranged for it, then its predictions."""
    loaded = model.load(artifact_uri, digest, request.task, described.classes)
    data = holdout.load(
        request.holdout,
        request.target,
        categorical=loaded.categorical_inputs,
        numeric_width=loaded.numeric_width,
        feature_order=described.features,
    )
    return subject.build(loaded, data)


def _champion(
    request: ScanRequest, metrics: evaluate.Metrics, settings: Settings, notes: list[str]
) -> tuple[champion.Comparison | None, list[Finding]]:
    assert request.champion is not None
    production = request.champion
    try:
        theirs_manifest = manifest.read(production.artifact_uri)
        theirs = evaluate.compute(
            _load(production.artifact_uri, production.digest, request, theirs_manifest)
        )
    except ScanError as error:
        notes.append(
            f"champion {production.name} could not be evaluated ({error.reason}: {error}); "
            "comparison skipped"
        )
        return None, []
    return champion.compare(
        metrics,
        theirs,
        production.name,
        request.task,
        request.policy.champion,
        settings.champion_tolerance,
    )


def _shared_rows(
    request: ScanRequest, scanned: subject.Subject, settings: Settings, notes: list[str]
) -> list[Finding]:
    uri = artifacts.join(request.artifact_uri, artifacts.TRAIN_ROW_HASHES)
    hashes = _train_hashes(uri, notes)
    if hashes is None:
        return []
    return leakage.shared_rows(scanned, hashes, settings)


def _train_hashes(uri: str, notes: list[str]) -> NDArray[np.uint64] | None:
    try:
        raw = artifacts.read_bytes(uri)
    except FileNotFoundError:
        notes.append(f"no {artifacts.TRAIN_ROW_HASHES}: shared training/holdout rows not checked")
        return None
    try:
        hashes = np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as error:
        notes.append(f"{uri} is unreadable ({errors.where(error)}): shared rows not checked")
        return None
    return np.asarray(hashes, dtype=np.uint64)


def _timed(timings: dict[str, float], step: str, function: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = function()
    timings[step] = time.perf_counter() - start
    log.info("scan: %s took %.2f s", step, timings[step])
    return value

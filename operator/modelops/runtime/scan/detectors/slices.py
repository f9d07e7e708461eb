"""Performance bias by slice: where in the data the model is much worse than overall.

Slices are quartiles of numeric features (each value when a feature has few
distinct ones) and the values of categorical features, with at least ``minRows``
rows. The per-row score is correctness (accuracy) for classifiers and absolute
error (MAE) for regressors. A slice is a finding when its relative gap to the
global score exceeds the threshold AND the absolute gap exceeds two standard
errors of a random subset of that size: small slices are noisy, and without the
guard a good model collects findings from chance alone. Severity comes from
``gap / threshold`` (see ``grading``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, Severity, SliceBiasPolicy
from modelops.runtime.scan.detectors import grading
from modelops.runtime.scan.subject import Subject

DETECTOR = "slice_bias"
#: Standard errors the gap must exceed, on top of the relative threshold.
Z_GUARD = 2.0
#: A numeric feature with at most this many distinct values is sliced by value.
MAX_DISCRETE_VALUES = 8
QUANTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class SliceScore:
    """The score of one slice next to the global one."""

    feature: str
    slice: str
    rows: int
    metric: str
    value: float
    overall: float
    #: Relative gap, positive when the slice is worse.
    gap: float
    severity: Severity | None


def detect(subject: Subject, policy: SliceBiasPolicy) -> tuple[list[Finding], list[SliceScore]]:
    """Findings for the slices worse than overall, and the score of every slice checked."""
    classifier = subject.task == Task.CLASSIFICATION
    per_row = (
        (subject.outcome == subject.y).astype(np.float64)
        if classifier
        else np.abs(np.asarray(subject.outcome, np.float64) - np.asarray(subject.y, np.float64))
    )
    metric = "accuracy" if classifier else "mae"
    total = len(per_row)
    overall = float(per_row.mean())
    spread = float(per_row.std())
    scores: list[SliceScore] = []
    findings: list[Finding] = []
    if overall == 0.0:
        return findings, scores
    for feature, label, mask in _slices(subject):
        rows = int(mask.sum())
        if rows < policy.min_rows or rows == total:
            continue
        value = float(per_row[mask].mean())
        gap = (overall - value) / overall if classifier else (value - overall) / overall
        standard_error = spread / np.sqrt(rows) * np.sqrt((total - rows) / max(total - 1, 1))
        flagged = gap > policy.threshold and abs(value - overall) > Z_GUARD * standard_error
        severity = grading.by_ratio(gap, policy.threshold) if flagged else None
        scores.append(SliceScore(feature, label, rows, metric, value, overall, gap, severity))
        if severity is not None:
            findings.append(
                Finding(
                    detector=DETECTOR,
                    severity=severity,
                    feature=feature,
                    slice=label,
                    metric=metric,
                    value=value,
                    threshold=policy.threshold,
                    message=f"{metric} = {value:.4f} on {label} ({rows} rows) vs {overall:.4f} "
                    f"overall: {gap:.0%} worse, over the {policy.threshold:.0%} threshold",
                )
            )
    scores.sort(key=lambda score: score.gap, reverse=True)
    return findings, scores


def _slices(subject: Subject) -> Iterator[tuple[str, str, NDArray[np.bool_]]]:
    features = subject.features
    for index, name in enumerate(features.numeric_names):
        yield from _numeric_slices(name, features.numeric[:, index].astype(np.float64))
    for name, values in features.categorical.items():
        for value in sorted(set(values.tolist())):
            yield name, f"{name} == {value!r}", values == value


def _numeric_slices(
    name: str, values: NDArray[np.float64]
) -> Iterator[tuple[str, str, NDArray[np.bool_]]]:
    finite = values[np.isfinite(values)]
    distinct = np.unique(finite)
    if len(distinct) <= MAX_DISCRETE_VALUES:
        for value in distinct:
            yield name, f"{name} == {value:.6g}", values == value
        return
    edges = np.unique(np.quantile(finite, QUANTILES))
    bounds = [-np.inf, *edges.tolist(), np.inf]
    for low, high in itertools.pairwise(bounds):
        mask = (values > low) & (values <= high)
        if np.isinf(low):
            label = f"{name} <= {high:.6g}"
        elif np.isinf(high):
            label = f"{name} > {low:.6g}"
        else:
            label = f"{low:.6g} < {name} <= {high:.6g}"
        yield name, label, mask

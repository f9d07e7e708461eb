"""Performance bias by slice: where in the data the model is much worse than overall.

Slices are quartiles of numeric features (each value when a feature has few
distinct ones) and the values of categorical features, with at least ``minRows``
rows.

Null hypothesis: the model is as good on every slice as overall, up to
``threshold`` (a relative gap). Each slice's metric is taken at its optimistic
confidence bound, Bonferroni-corrected over all slices checked, so a sound model
raises no slice finding in more than ``1 - confidence`` of scans (5% by default),
and a small slice's noise is never called bias.

* Classifiers: the slice's accuracy at the upper end of its Wilson interval,
  against the global accuracy: ``gap = (overall - upper) / overall``.
* Regressors: errors are judged against the slice's own scale, since a slice of
  expensive items has larger errors in dollars without being served worse. The
  slice's mean absolute error is taken at the lower end of its interval (normal,
  from the spread of its errors); the gap is the smaller of its excess over the
  global MAE and its excess once both are divided by their target's scale (the
  slice's, the whole holdout's): the mean for a positive target (prices, counts,
  whose errors grow with their level), the standard deviation otherwise. Worse in
  dollars but not for its scale, or worse for its scale but not in dollars, is no
  finding.

A slice over the threshold at that bound is a major finding.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import SETTING_FIELDS, Finding, Settings, Severity
from modelops.runtime.scan.detectors import bounds
from modelops.runtime.scan.subject import Subject

DETECTOR = "slice_bias"
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
    #: Relative gap of the point estimate, positive when the slice is worse.
    gap: float
    #: Relative gap at the slice's optimistic bound: what a finding is judged on.
    bound_gap: float
    severity: Severity | None

    def in_words(self) -> str:
        """The gap's sign and size as a sentence: worse or better, by how much."""
        if self.gap > 0:
            return f"worse than overall by {self.gap:.0%}"
        if self.gap < 0:
            return f"better than overall by {-self.gap:.0%}"
        return "as good as overall"


def detect(subject: Subject, settings: Settings) -> tuple[list[Finding], list[SliceScore]]:
    """Findings for the slices worse than overall, and the score of every slice checked."""
    total = subject.holdout.rows
    candidates = [
        (feature, label, mask)
        for feature, label, mask in _slices(subject)
        if settings.slice_min_rows <= int(mask.sum()) < total
    ]
    z = bounds.z_score(settings.slice_confidence, len(candidates))
    score = (
        _classification(subject, z)
        if subject.task == Task.CLASSIFICATION
        else _regression(subject, z)
    )
    scores: list[SliceScore] = []
    for feature, label, mask in candidates:
        measured = score(feature, label, mask)
        if measured is None:
            continue
        if measured.bound_gap > settings.slice_threshold:
            measured = dataclasses.replace(measured, severity=Severity.MAJOR)
        scores.append(measured)
    scores.sort(key=lambda s: s.bound_gap, reverse=True)
    findings = [_finding(s, settings) for s in scores if s.severity is not None]
    scores.sort(key=lambda s: s.gap, reverse=True)
    return findings, scores


Scorer = Callable[[str, str, NDArray[np.bool_]], SliceScore | None]


def _classification(subject: Subject, z: float) -> Scorer:
    correct = (subject.outcome == subject.y).astype(np.float64)
    overall = float(correct.mean())

    def score(feature: str, label: str, mask: NDArray[np.bool_]) -> SliceScore | None:
        if overall == 0.0:
            return None
        rows = int(mask.sum())
        hits = float(correct[mask].sum())
        _, upper = bounds.wilson(hits, rows, z)
        value = hits / rows
        return SliceScore(
            feature,
            label,
            rows,
            "accuracy",
            value,
            overall,
            (overall - value) / overall,
            (overall - upper) / overall,
            None,
        )

    return score


def _regression(subject: Subject, z: float) -> Scorer:
    y = np.asarray(subject.y, dtype=np.float64)
    errors = np.abs(np.asarray(subject.outcome, dtype=np.float64) - y)
    overall = float(errors.mean())
    # Positive targets (prices, counts) err in proportion to their level; others by spread.
    measure = np.mean if bool(np.all(y > 0)) else np.std
    scale = float(measure(y))

    def score(feature: str, label: str, mask: NDArray[np.bool_]) -> SliceScore | None:
        if overall == 0.0 or scale == 0.0:
            return None
        rows = int(mask.sum())
        mine = errors[mask]
        value = float(mine.mean())
        lower = max(0.0, value - z * float(mine.std(ddof=1)) / np.sqrt(rows))
        own_scale = float(measure(y[mask]))
        return SliceScore(
            feature,
            label,
            rows,
            "mae",
            value,
            overall,
            _relative(value, overall, own_scale, scale),
            _relative(lower, overall, own_scale, scale),
            None,
        )

    return score


def _relative(value: float, overall: float, own_scale: float, scale: float) -> float:
    """The smaller of the excess in the target's units and the excess for the slice's scale."""
    absolute = (value - overall) / overall
    if own_scale == 0.0:
        return absolute
    scaled = (value / own_scale) / (overall / scale) - 1.0
    return min(absolute, scaled)


def _finding(score: SliceScore, settings: Settings) -> Finding:
    passes = bounds.passes_at(score.bound_gap)
    unit = "" if score.metric == "accuracy" else " for its scale"
    return Finding(
        detector=DETECTOR,
        severity=Severity.MAJOR,
        feature=score.feature,
        slice=score.slice,
        metric=score.metric,
        value=score.value,
        threshold=settings.slice_threshold,
        setting=SETTING_FIELDS["slice_threshold"] if passes else "validation.sliceBias.enabled",
        passes_at=passes or "false",
        message=f"{score.metric} {score.value:.4g} on {score.slice} ({score.rows} rows) against "
        f"{score.overall:.4g} overall: the model is {score.in_words()}{unit}, and at least "
        f"{score.bound_gap:.0%} at {settings.slice_confidence:.0%} confidence, over the "
        f"{settings.slice_threshold:.0%} threshold. Look at this slice's rows and labels, or "
        "train with more of them",
    )


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

"""Metric floors and ceilings: the holdout metrics a policy demands.

A policy naming a metric the scan does not know is a finding too, listing the
names it does know: a typo in ``minMetrics`` must not silently pass a model.
"""

from __future__ import annotations

import math

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, Severity, ValidationPolicy
from modelops.runtime.scan import evaluate

DETECTOR = "metrics"


def detect(metrics: evaluate.Metrics, task: Task, policy: ValidationPolicy) -> list[Finding]:
    """A major finding for each floor not reached, ceiling exceeded or metric unknown."""
    findings: list[Finding] = []
    for bound, limits in (("floor", policy.min_metrics), ("ceiling", policy.max_metrics)):
        for name, limit in sorted(limits.items()):
            finding = _check(metrics, task, name, limit, bound)
            if finding is not None:
                findings.append(finding)
    return findings


def unknown_metric(name: str, task: Task, where: str) -> Finding:
    """The finding for a policy that names a metric ``task`` does not have."""
    return Finding(
        detector=DETECTOR,
        severity=Severity.MAJOR,
        metric=name[:63],
        setting=f"validation.{where}"[:63],
        passes_at=f"without {name}"[:63],
        message=f"unknown metric {name!r} in {where}; available for {task}: "
        + ", ".join(evaluate.available(task)),
    )


def _check(
    metrics: evaluate.Metrics, task: Task, name: str, limit: float, bound: str
) -> Finding | None:
    where = "minMetrics" if bound == "floor" else "maxMetrics"
    if name not in metrics:
        return unknown_metric(name, task, where)
    value = metrics[name]
    if value is None:
        return Finding(
            detector=DETECTOR,
            severity=Severity.MAJOR,
            metric=name,
            threshold=limit,
            setting=f"validation.{where}"[:63],
            passes_at=f"without {name}"[:63],
            message=f"{name} cannot be computed on this holdout (e.g. a single class), "
            f"so its {bound} {limit:g} is not met",
        )
    failed = value < limit if bound == "floor" else value > limit
    if not failed:
        return None
    # Four decimals, rounded towards passing, as the message shows the value.
    passes = math.floor(value * 1e4) / 1e4 if bound == "floor" else math.ceil(value * 1e4) / 1e4
    relation = "below the floor" if bound == "floor" else "above the ceiling"
    return Finding(
        detector=DETECTOR,
        severity=Severity.MAJOR,
        metric=name,
        value=value,
        threshold=limit,
        setting=f"validation.{where}.{name}"[:63],
        passes_at=f"{passes:g}",
        message=f"{name} = {value:.4f} on the holdout, {relation} {limit:g} ({where})",
    )

"""Champion/challenger: the candidate may not be worse than the Production version.

Both models are evaluated on the same holdout by the scanner; this module only
compares the two sets of metrics, so the rule is a pure function. ``beats`` (strictly
better on the compared metric) is what auto-promotion reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelops.api.trainingrun import KEY_METRIC, Task
from modelops.api.validation import SETTING_FIELDS, ChampionPolicy, Finding, Severity
from modelops.runtime.scan import evaluate
from modelops.runtime.scan.detectors import bounds, floors

DETECTOR = "champion"


@dataclass(frozen=True)
class Comparison:
    """The compared metric of the champion and the challenger on the same holdout."""

    champion: str
    metric: str
    champion_value: float | None
    challenger_value: float | None
    #: Whether the challenger is strictly better; None when the metric is unavailable.
    beats: bool | None
    champion_metrics: evaluate.Metrics


def compare(
    challenger: evaluate.Metrics,
    champion: evaluate.Metrics,
    champion_name: str,
    task: Task,
    policy: ChampionPolicy,
    tolerance: float,
) -> tuple[Comparison, list[Finding]]:
    """Compare on ``policy.metric``; a major finding when worse by more than the tolerance."""
    metric = policy.metric or KEY_METRIC[task]
    ours, theirs = challenger.get(metric), champion.get(metric)
    if ours is None or theirs is None:
        comparison = Comparison(champion_name, metric, theirs, ours, None, champion)
        if metric not in challenger:
            return comparison, [floors.unknown_metric(metric, task, "champion.metric")]
        return comparison, []
    worse = evaluate.worse_by(metric, ours, theirs)
    comparison = Comparison(champion_name, metric, theirs, ours, worse < 0, champion)
    if worse <= tolerance:
        return comparison, []
    passes = bounds.passes_at(worse, digits=4)
    finding = Finding(
        detector=DETECTOR,
        severity=Severity.MAJOR,
        metric=metric,
        value=ours,
        threshold=theirs + (tolerance if metric in evaluate.LOWER_IS_BETTER else -tolerance),
        setting=SETTING_FIELDS["champion_tolerance"] if passes else "validation.champion.enabled",
        passes_at=passes or "false",
        message=f"{metric} = {ours:.4f}, worse than the champion {champion_name} "
        f"({theirs:.4f}) by {worse:.4f}, more than the tolerance {tolerance:g}",
    )
    return comparison, [finding]

"""Data leakage: holdout rows the model trained on, and features that give the answer away.

Shared rows. The holdout's feature rows are hashed with the trainer's ``row_hashes``
and looked up in the training hashes. Null hypothesis: training and holdout rows
were split at random from one table, so a holdout row has a copy in the training
data as often as a training row has another copy there (the table's own duplicate
rate: near 0 for measurements, near 1 for a table of few distinct rows). A finding
(major) needs the shared fraction's lower 99.9% Wilson bound to exceed that chance
rate by more than ``maxExcessSharedRows``: under the null hypothesis that happens in
fewer than 1 scan in 1,000.

Single-feature leaks. Each feature alone is fitted to the target out of fold (a tree
of at most 32 leaves for numeric features, a per-value lookup for categorical ones;
for a binary target the raw feature's ROC AUC counts too) and scored by ROC AUC
(one-vs-rest mean for several classes) or R2. Null hypothesis: no feature is the
target under another name. (A regressor's numeric feature also scores its squared
correlation with the target, which sees a noisy copy that 32 leaves on a small
holdout blur.) A score at or above ``singleFeatureScore`` is major:
genuinely predictive features score lower (breast cancer's best, ~0.96 AUC; a
regressor's best feature rarely explains 99% of the variance), so on real tables
the false-alarm rate is that of a feature that nearly determines the target,
which is the one case worth a look either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import SETTING_FIELDS, Finding, Settings, Severity
from modelops.runtime.scan.detectors import bounds
from modelops.runtime.scan.subject import Subject
from modelops.runtime.train import hashing, metrics

DETECTOR = "leakage"
MAX_ROWS = 20_000
FOLDS = 3
MAX_LEAVES = 32
#: Confidence of the shared-rows bound: one false alarm in 1,000 scans of a random split.
SHARED_CONFIDENCE = 0.999


def chance_shared(train_hashes: NDArray[np.uint64]) -> float:
    """The fraction of training rows that have another copy in the training data."""
    if len(train_hashes) == 0:
        return 0.0
    _, inverse, counts = np.unique(train_hashes, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse] > 1))


def shared_rows(
    subject: Subject, train_hashes: NDArray[np.uint64], settings: Settings
) -> list[Finding]:
    """A major finding when holdout rows occur in training far more often than chance."""
    holdout = subject.holdout
    hashes = hashing.row_hashes(holdout.table, categorical=set(holdout.features.categorical))
    shared = np.isin(hashes, train_hashes)
    count, rows = int(shared.sum()), len(shared)
    observed = count / rows
    chance = chance_shared(train_hashes)
    low, _ = bounds.wilson(count, rows, bounds.z_score(SHARED_CONFIDENCE))
    excess = low - chance
    tolerated = settings.leakage_excess_shared_rows
    if excess <= tolerated:
        return []
    passes = bounds.passes_at(excess)
    return [
        Finding(
            detector=DETECTOR,
            severity=Severity.MAJOR,
            metric="shared_rows",
            value=observed,
            threshold=chance + tolerated,
            setting=SETTING_FIELDS["leakage_excess_shared_rows"],
            passes_at=passes,
            message=f"{count} of {rows} holdout rows ({observed:.1%}) also occur in the training "
            f"data, where chance predicts {chance:.1%} (the training data's own duplicate "
            f"rate): at least {excess:.1%} more than chance, over the tolerated {tolerated:.1%}. "
            "The holdout metrics are inflated: split after deduplicating, or by group",
        )
    ]


def single_feature(subject: Subject, settings: Settings) -> tuple[list[Finding], dict[str, float]]:
    """Major findings for features that alone predict the target, and every feature's score."""
    rng = np.random.default_rng(0)
    total = subject.holdout.rows
    rows = (
        np.sort(rng.choice(total, MAX_ROWS, replace=False))
        if total > MAX_ROWS
        else np.arange(total)
    )
    folds = rng.permutation(len(rows)) % FOLDS
    y = subject.y[rows]
    classifier = subject.task == Task.CLASSIFICATION
    metric = "roc_auc" if classifier else "r2"
    features = subject.features
    scores: dict[str, float] = {}
    for index, name in enumerate(features.numeric_names):
        values = features.numeric[rows, index].astype(np.float64)
        scores[name] = _numeric_score(values, y, folds, classifier, len(subject.classes))
    for name, column in features.categorical.items():
        scores[name] = _categorical_score(column[rows], y, folds, classifier, len(subject.classes))
    limit = settings.leakage_single_feature_score
    findings = [
        _leak(name, metric, score, limit)
        for name, score in sorted(scores.items(), key=lambda item: -item[1])
        if score >= limit
    ]
    return findings, scores


def _leak(name: str, metric: str, score: float, limit: float) -> Finding:
    passes = bounds.passes_at(score, digits=3)
    return Finding(
        detector=DETECTOR,
        severity=Severity.MAJOR,
        feature=name,
        metric=metric,
        value=score,
        threshold=limit,
        setting=SETTING_FIELDS["leakage_single_feature_score"]
        if passes
        else "validation.leakage.enabled",
        passes_at=passes or "false",
        message=f"{name} alone predicts the target with {metric} {score:.4f} "
        f"(>= {limit:g}): it is probably the target, or derived from it after the fact; "
        "drop it or check how it is collected",
    )


def _numeric_score(
    values: NDArray[np.float64],
    y: NDArray[Any],
    folds: NDArray[np.intp],
    classifier: bool,
    classes: int,
) -> float:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    values = np.where(
        np.isfinite(values), values, np.nanmedian(values) if np.isfinite(values).any() else 0.0
    )
    estimator = (
        DecisionTreeClassifier(max_leaf_nodes=MAX_LEAVES, min_samples_leaf=5, random_state=0)
        if classifier
        else DecisionTreeRegressor(max_leaf_nodes=MAX_LEAVES, min_samples_leaf=5, random_state=0)
    )
    out_of_fold = np.zeros((len(y), classes) if classifier else len(y))
    for fold in range(FOLDS):
        train, test = folds != fold, folds == fold
        estimator.fit(values[train].reshape(-1, 1), y[train])
        if classifier:
            out_of_fold[np.ix_(test, estimator.classes_.astype(np.intp))] = estimator.predict_proba(
                values[test].reshape(-1, 1)
            )
        else:
            out_of_fold[test] = estimator.predict(values[test].reshape(-1, 1))
    if not classifier:
        # A copy of the target with a little noise is linear in it: the tree's leaves
        # are too coarse on a small holdout to see that, the correlation is not.
        linear = (
            float(np.corrcoef(values, y.astype(np.float64))[0, 1] ** 2) if values.std() > 0 else 0.0
        )
        return max(_r2(y, out_of_fold), linear)
    score = _auc(y, out_of_fold)
    if classes == 2:
        raw = _auc(y, np.column_stack([-values, values]))
        score = max(score, raw, 1.0 - raw)
    return score


def _categorical_score(
    column: NDArray[np.object_],
    y: NDArray[Any],
    folds: NDArray[np.intp],
    classifier: bool,
    classes: int,
) -> float:
    """Out of fold, each value predicts the class frequencies (or mean) it had in training."""
    codes = np.unique(column, return_inverse=True)[1]
    width = classes if classifier else 1
    target = (
        np.eye(classes)[y.astype(np.intp)] if classifier else y.reshape(-1, 1).astype(np.float64)
    )
    out_of_fold = np.zeros((len(y), width))
    for fold in range(FOLDS):
        train, test = folds != fold, folds == fold
        sums = np.zeros((codes.max() + 1, width))
        counts = np.zeros(codes.max() + 1)
        np.add.at(sums, codes[train], target[train])
        np.add.at(counts, codes[train], 1.0)
        prior = target[train].mean(axis=0)
        seen = counts[codes[test]] > 0
        lookup = np.where(
            seen[:, None], sums[codes[test]] / np.maximum(counts[codes[test]], 1.0)[:, None], prior
        )
        out_of_fold[test] = lookup
    return _auc(y, out_of_fold) if classifier else _r2(y, out_of_fold[:, 0])


def _auc(y: NDArray[Any], scores: NDArray[np.float64]) -> float:
    """Mean one-vs-rest ROC AUC over the classes present (plain AUC when binary)."""
    if scores.shape[1] == 2:
        return metrics.roc_auc(y == 1, scores[:, 1]) if len(np.unique(y)) == 2 else 0.5
    aucs = [
        metrics.roc_auc(y == c, scores[:, c])
        for c in range(scores.shape[1])
        if 0 < int((y == c).sum()) < len(y)
    ]
    return float(np.mean(aucs)) if aucs else 0.5


def _r2(y: NDArray[Any], predicted: NDArray[np.float64]) -> float:
    y = y.astype(np.float64)
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else 0.0

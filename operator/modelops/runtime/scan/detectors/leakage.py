"""Data leakage: holdout rows the model trained on, and features that give the answer away.

Shared rows: the holdout's feature rows are hashed with the trainer's ``row_hashes``
and looked up in the training hashes; a shared fraction above ``maxSharedRows``
inflates every metric, so it is major.

Single-feature leaks: each feature alone is fitted to the target out of fold (a
depth-3 tree for numeric features, a per-value lookup for categorical ones; for a
binary target the raw feature's ROC AUC counts too) and scored by ROC AUC
(one-vs-rest mean for several classes) or R2. A score at or above
``singleFeatureScore`` (default 0.99) is major: such a feature is almost always the
target under another name. Genuinely predictive features score lower (breast
cancer's best, ~0.96 AUC) and are left alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, LeakagePolicy, Severity
from modelops.runtime.scan.subject import Subject
from modelops.runtime.train import hashing, metrics

DETECTOR = "leakage"
MAX_ROWS = 20_000
FOLDS = 3
TREE_DEPTH = 3


def shared_rows(
    subject: Subject, train_hashes: NDArray[np.uint64], policy: LeakagePolicy
) -> list[Finding]:
    """A major finding when too many holdout rows also appear in the training data."""
    holdout = subject.holdout
    hashes = hashing.row_hashes(holdout.table, categorical=set(holdout.features.categorical))
    shared = np.isin(hashes, train_hashes)
    fraction = float(shared.mean())
    if fraction <= policy.max_shared_rows:
        return []
    return [
        Finding(
            detector=DETECTOR,
            severity=Severity.MAJOR,
            metric="shared_rows",
            value=fraction,
            threshold=policy.max_shared_rows,
            message=f"{int(shared.sum())} of {len(shared)} holdout rows ({fraction:.1%}) are also "
            f"in the training data (tolerated: {policy.max_shared_rows:.1%}); the holdout "
            "metrics are inflated: split before deduplicating, or deduplicate first",
        )
    ]


def single_feature(
    subject: Subject, policy: LeakagePolicy
) -> tuple[list[Finding], dict[str, float]]:
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
    findings = [
        Finding(
            detector=DETECTOR,
            severity=Severity.MAJOR,
            feature=name,
            metric=metric,
            value=score,
            threshold=policy.single_feature_score,
            message=f"{name} alone predicts the target with {metric} {score:.4f} "
            f"(>= {policy.single_feature_score:g}): it is probably the target, or derived "
            "from it; drop it or check how it is collected",
        )
        for name, score in sorted(scores.items(), key=lambda item: -item[1])
        if score >= policy.single_feature_score
    ]
    return findings, scores


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
        DecisionTreeClassifier(max_depth=TREE_DEPTH, random_state=0)
        if classifier
        else DecisionTreeRegressor(max_depth=TREE_DEPTH, random_state=0)
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
        return _r2(y, out_of_fold)
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

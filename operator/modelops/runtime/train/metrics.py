"""Holdout metrics of a fitted model.

Classification: accuracy, f1 (binary: of the second class; multiclass: macro),
roc_auc (binary; multiclass one-vs-rest, macro) and log_loss (estimators with
probabilities). Regression: rmse, mae, r2. A metric the holdout cannot support
(roc_auc when a class is missing from it) is left out rather than guessed.

Each is a few numpy passes with scikit-learn's definitions (the tests hold them to
``sklearn.metrics`` within 1e-12): the same numbers without its input validation, which
costs more than the arithmetic on a holdout of thousands of rows. An F1 with no
predicted and no true member of a class is 0, as scikit-learn's default makes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def classification(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: Sequence[object],
    probabilities: np.ndarray | None,
    scores: np.ndarray | None,
) -> dict[str, float]:
    """Metrics of predicted labels and, when the model has them, probabilities or scores.

    ``classes`` is the model's sorted ``classes_``; probability columns follow it.
    """
    labels = np.asarray(classes)
    truth, predicted = _index(labels, y_true), _index(labels, y_pred)
    binary = labels.size == 2
    result = {"accuracy": float(np.mean(y_true == y_pred))}
    f1 = [_f1(truth == k, predicted == k) for k in range(labels.size)]
    result["f1"] = f1[1] if binary else float(np.mean(f1))
    ranking = probabilities if probabilities is not None else scores
    present = np.unique(truth[truth >= 0]).size == labels.size
    if ranking is not None and present:
        if binary:
            column = ranking[:, 1] if ranking.ndim == 2 else ranking
            result["roc_auc"] = roc_auc(truth == 1, column)
        elif probabilities is not None:
            result["roc_auc"] = macro_roc_auc(truth, probabilities)
    if probabilities is not None:
        result["log_loss"] = log_loss(truth, probabilities)
    return result


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    errors = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    spread = float(np.sum((y_true - np.mean(y_true)) ** 2))
    residual = float(np.sum(errors**2))
    # scikit-learn's convention for a constant target: 1 for a perfect fit, else 0.
    r2 = (1.0 - residual / spread) if spread else (1.0 if residual == 0.0 else 0.0)
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
        "r2": r2,
    }


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outscores a negative, ties half.

    Computed from average ranks (Mann-Whitney U); both classes must be present.
    """
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.append(starts[1:], ordered.size)
    ranks = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    hits = positive[order]
    n_positive = int(np.count_nonzero(hits))
    n_negative = hits.size - n_positive
    u = float(ranks[hits].sum()) - n_positive * (n_positive + 1) / 2.0
    return u / (n_positive * n_negative)


def macro_roc_auc(truth: np.ndarray, probabilities: np.ndarray) -> float:
    """One-vs-rest ROC AUC averaged over the classes; ``truth`` holds column indices of
    ``probabilities``, and every class must be present."""
    columns = range(probabilities.shape[1])
    return float(np.mean([roc_auc(truth == k, probabilities[:, k]) for k in columns]))


def log_loss(truth: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log-probability of the true class (clipped at float epsilon)."""
    eps = np.finfo(probabilities.dtype).eps
    chosen = probabilities[np.arange(truth.size), truth]
    return float(-np.mean(np.log(np.clip(chosen, eps, 1.0 - eps))))


def _index(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in the sorted ``labels``; -1 for a value not among them."""
    at = np.minimum(np.searchsorted(labels, values), labels.size - 1)
    return np.where(labels[at] == values, at, -1)


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    true_positive = int(np.count_nonzero(truth & predicted))
    wrong = int(np.count_nonzero(truth ^ predicted))
    denominator = 2 * true_positive + wrong
    return 2 * true_positive / denominator if denominator else 0.0

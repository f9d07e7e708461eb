"""Holdout metrics of a fitted model, and the one headline metric the operator shows.

Classification: accuracy, f1 (binary: of the second class; multiclass: macro),
roc_auc (binary; multiclass one-vs-rest) and log_loss (estimators with
probabilities). Regression: rmse, mae, r2. A metric the holdout cannot support
(roc_auc when a class is missing from it) is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics as sk

from modelops.api.trainingrun import Task

KEY_METRIC = {Task.CLASSIFICATION: "accuracy", Task.REGRESSION: "r2"}


def classification(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: Sequence[object],
    probabilities: np.ndarray | None,
    scores: np.ndarray | None,
) -> dict[str, float]:
    """Metrics of predicted labels and, when the model has them, probabilities or scores."""
    binary = len(classes) == 2
    result = {"accuracy": float(sk.accuracy_score(y_true, y_pred))}
    if binary:
        result["f1"] = float(sk.f1_score(y_true, y_pred, pos_label=classes[1]))
    else:
        result["f1"] = float(sk.f1_score(y_true, y_pred, average="macro", labels=list(classes)))
    ranking = probabilities if probabilities is not None else scores
    present = np.unique(y_true).size == len(classes)
    if ranking is not None and present:
        if binary:
            column = ranking[:, 1] if ranking.ndim == 2 else ranking
            result["roc_auc"] = float(sk.roc_auc_score(y_true == classes[1], column))
        elif probabilities is not None:
            result["roc_auc"] = float(
                sk.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=list(classes))
            )
    if probabilities is not None:
        result["log_loss"] = float(sk.log_loss(y_true, probabilities, labels=list(classes)))
    return result


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(sk.root_mean_squared_error(y_true, y_pred)),
        "mae": float(sk.mean_absolute_error(y_true, y_pred)),
        "r2": float(sk.r2_score(y_true, y_pred)),
    }


def key_metric(task: Task, values: dict[str, float]) -> str:
    """The headline metric as the operator shows it, e.g. ``accuracy=0.9650``."""
    name = KEY_METRIC[task]
    return f"{name}={values[name]:.4f}"

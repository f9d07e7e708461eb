"""Metrics on the holdout: the names a policy may use, and how each is computed.

One table of metrics per task, so the floors, the champion comparison and the
report agree on what ``accuracy`` or ``rmse`` means. A metric that cannot be
computed on a holdout (ROC AUC with one class present) is ``None``, not a guess.
ROC AUC and log loss are the trainer's own functions (``runtime.train.metrics``), so
they mean the same in a version's training status and in its scan.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.runtime.scan.subject import Subject
from modelops.runtime.train import metrics

Metrics = dict[str, float | None]

#: Metrics where a lower value is better; every other metric is better when higher.
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "mae", "mse", "rmse", "max_error"})


def available(task: Task) -> list[str]:
    """The metric names a policy may use for ``task``."""
    return sorted(_CLASSIFICATION if task == Task.CLASSIFICATION else _REGRESSION)


def worse_by(metric: str, value: float, reference: float) -> float:
    """How much worse ``value`` is than ``reference`` (negative when it is better)."""
    return value - reference if metric in LOWER_IS_BETTER else reference - value


def compute(subject: Subject) -> Metrics:
    """Every metric of the subject's task on its holdout predictions."""
    table = _CLASSIFICATION if subject.task == Task.CLASSIFICATION else _REGRESSION
    return {name: function(subject) for name, function in sorted(table.items())}


def _accuracy(s: Subject) -> float:
    return float(np.mean(s.outcome == s.y))


def _balanced_accuracy(s: Subject) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(s.y, s.outcome))


def _averaged(name: str) -> Callable[[Subject], float]:
    """f1, precision or recall: of the second class when binary, macro-averaged otherwise."""

    def metric(s: Subject) -> float:
        from sklearn import metrics

        average = {"average": "binary", "pos_label": 1} if len(s.classes) == 2 else {}
        options: dict[str, object] = {"average": "macro", **average, "zero_division": 0}
        return float(getattr(metrics, name)(s.y, s.outcome, **options))

    return metric


def _roc_auc(s: Subject) -> float | None:
    probabilities = _probabilities(s)
    present = np.unique(s.y)
    if len(present) < 2 or (len(s.classes) > 2 and len(present) < len(s.classes)):
        return None
    if len(s.classes) == 2:
        return metrics.roc_auc(s.y == 1, probabilities[:, 1])
    return metrics.macro_roc_auc(s.y, probabilities)


def _log_loss(s: Subject) -> float:
    return metrics.log_loss(s.y.astype(np.int64), _probabilities(s))


def _brier(s: Subject) -> float:
    probabilities = _probabilities(s)
    truth = np.zeros_like(probabilities)
    truth[np.arange(len(s.y)), s.y.astype(np.int64)] = 1.0
    return float(np.mean(np.sum((probabilities - truth) ** 2, axis=1)))


def _probabilities(s: Subject) -> NDArray[np.float64]:
    assert s.predictions.probabilities is not None
    return s.predictions.probabilities


def _errors(s: Subject) -> NDArray[np.float64]:
    return np.asarray(s.outcome, dtype=np.float64) - np.asarray(s.y, dtype=np.float64)


def _r2(s: Subject) -> float | None:
    y = np.asarray(s.y, dtype=np.float64)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0.0:
        return None
    return 1.0 - float(np.sum(_errors(s) ** 2)) / total


_CLASSIFICATION: dict[str, Callable[[Subject], float | None]] = {
    "accuracy": _accuracy,
    "balanced_accuracy": _balanced_accuracy,
    "f1": _averaged("f1_score"),
    "precision": _averaged("precision_score"),
    "recall": _averaged("recall_score"),
    "roc_auc": _roc_auc,
    "log_loss": _log_loss,
    "brier": _brier,
}

_REGRESSION: dict[str, Callable[[Subject], float | None]] = {
    "r2": _r2,
    "mae": lambda s: float(np.mean(np.abs(_errors(s)))),
    "mse": lambda s: float(np.mean(_errors(s) ** 2)),
    "rmse": lambda s: float(np.sqrt(np.mean(_errors(s) ** 2))),
    "max_error": lambda s: float(np.max(np.abs(_errors(s)))),
}

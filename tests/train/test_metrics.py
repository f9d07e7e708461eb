"""The trainer's metrics are scikit-learn's, to 1e-12, on labels, ties and odd class sets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from modelops.api.trainingrun import Task, key_metric
from modelops.runtime.train import metrics


def _probabilities(rng: np.random.Generator, rows: int, classes: int) -> np.ndarray:
    # Rounded so that ties (same probability on many rows, as trees give) are common.
    raw = np.round(rng.dirichlet(np.ones(classes), size=rows), 2) + 1e-3
    return raw / raw.sum(axis=1, keepdims=True)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(10, 400),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["int", "str"]),
)
def test_classification_metrics_equal_sklearns(
    classes: int, rows: int, seed: int, kind: str
) -> None:
    rng = np.random.default_rng(seed)
    labels = (
        np.arange(classes) * 3 if kind == "int" else np.array([f"c{k}" for k in range(classes)])
    )
    probabilities = _probabilities(rng, rows, classes)
    y_true = labels[rng.integers(0, classes, rows)]
    # Mostly the argmax, sometimes another class, so every metric has work to do.
    chosen = np.where(
        rng.random(rows) < 0.7, probabilities.argmax(axis=1), rng.integers(0, classes, rows)
    )
    y_pred = labels[chosen]

    ours = metrics.classification(y_true, y_pred, labels.tolist(), probabilities, None)

    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred), abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-division warnings: both sides give 0
        if classes == 2:
            f1 = sk.f1_score(y_true, y_pred, pos_label=labels[1])
        else:
            f1 = sk.f1_score(y_true, y_pred, average="macro", labels=labels)
    assert ours["f1"] == pytest.approx(f1, abs=1e-12)
    assert ours["log_loss"] == pytest.approx(
        sk.log_loss(y_true, y_proba=probabilities, labels=labels), abs=1e-12
    )
    if np.unique(y_true).size < classes:
        assert "roc_auc" not in ours
    elif classes == 2:
        expected = sk.roc_auc_score(y_true == labels[1], probabilities[:, 1])
        assert ours["roc_auc"] == pytest.approx(expected, abs=1e-12)
    else:
        expected = sk.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=labels)
        assert ours["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_binary_decision_scores_rank_like_sklearn() -> None:
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 500)
    scores = np.round(rng.normal(size=500) + y_true, 1)  # many ties
    ours = metrics.classification(y_true, (scores > 0.5).astype(int), [0, 1], None, scores)
    assert ours["roc_auc"] == pytest.approx(sk.roc_auc_score(y_true, scores), abs=1e-12)
    assert "log_loss" not in ours


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 300), st.integers(0, 2**32 - 1), st.booleans())
def test_regression_metrics_equal_sklearns(rows: int, seed: int, constant: bool) -> None:
    rng = np.random.default_rng(seed)
    y_true = np.full(rows, 2.5) if constant else rng.normal(size=rows)
    y_pred = y_true + rng.normal(scale=0.3, size=rows) * rng.integers(0, 2)
    ours = metrics.regression(y_true, y_pred)
    assert ours["rmse"] == pytest.approx(sk.root_mean_squared_error(y_true, y_pred), abs=1e-12)
    assert ours["mae"] == pytest.approx(sk.mean_absolute_error(y_true, y_pred), abs=1e-12)
    assert ours["r2"] == pytest.approx(sk.r2_score(y_true, y_pred), abs=1e-12)


def test_the_key_metric_is_what_kubectl_shows() -> None:
    assert key_metric(Task.CLASSIFICATION, {"accuracy": 0.96491}) == "accuracy=0.9649"
    assert key_metric(Task.REGRESSION, {"r2": 0.5}) == "r2=0.5000"

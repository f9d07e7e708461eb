"""The scan's verdict on real models: what it lets through and what it stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, ValidationPolicy
from modelops.runtime import artifacts
from modelops.runtime.scan import scanner
from modelops.runtime.train import hashing
from tests.scan.conftest import Artifacts, Split, export


def scan(
    model: Artifacts,
    policy: dict[str, object] | None = None,
    champion: scanner.ChampionModel | None = None,
) -> scanner.ScanResult:
    request = scanner.ScanRequest(
        artifact_uri=model.uri,
        digest=model.digest,
        task=Task.CLASSIFICATION,
        policy=ValidationPolicy.model_validate(policy or {}),
        champion=champion,
    )
    return scanner.run(request)


def by(result: scanner.ScanResult, detector: str) -> list[Finding]:
    return [f for f in result.findings if f.detector == detector]


def test_a_good_model_passes_with_no_major_finding(good_model: Artifacts) -> None:
    result = scan(good_model, policy={"minMetrics": {"roc_auc": 0.9}})

    assert result.passed
    assert result.summary()["major"] == 0
    assert result.metrics["accuracy"] is not None and result.metrics["accuracy"] > 0.9
    assert not by(result, "leakage"), "breast cancer's best features are predictive, not leaks"
    assert not by(result, "robustness")
    assert max(result.feature_scores.values()) < 0.99


def test_a_weak_model_is_rejected_naming_the_floor_it_misses(tmp_path: Path) -> None:
    x, y = make_classification(
        n_samples=1200, n_features=10, n_informative=6, flip_y=0.1, class_sep=0.6, random_state=1
    )
    x = x.astype(np.float32)
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(x[:800], y[:800])
    names = [f"f{i}" for i in range(10)]
    model = export(tmp_path, stump, x[800:], y[800:], names)

    result = scan(model, policy={"minMetrics": {"accuracy": 0.8}})

    assert not result.passed
    [floor] = [f for f in result.blocking if f.detector == "metrics"]
    assert floor.metric == "accuracy"
    assert floor.threshold == 0.8
    assert floor.value is not None and floor.value < 0.8
    assert "accuracy" in floor.message and "0.8" in floor.message


def test_an_unknown_metric_in_the_policy_is_a_blocking_finding_listing_the_known_ones(
    good_model: Artifacts,
) -> None:
    result = scan(good_model, policy={"minMetrics": {"rocauc": 0.9}})

    assert not result.passed
    [finding] = result.blocking
    assert "rocauc" in finding.message
    assert "roc_auc" in finding.message and "accuracy" in finding.message


def test_a_challenger_worse_than_the_champion_is_rejected_with_both_values(
    tmp_path: Path, good_model: Artifacts, cancer: Split
) -> None:
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(cancer.x_train, cancer.y_train)
    challenger = export(tmp_path, stump, cancer.x_test, cancer.y_test, cancer.names)
    production = scanner.ChampionModel("cancer-v1", good_model.uri, good_model.digest)

    result = scan(challenger, champion=production)

    assert not result.passed
    assert result.comparison is not None
    assert result.comparison.beats is False
    [finding] = by(result, "champion")
    theirs, ours = result.comparison.champion_value, result.comparison.challenger_value
    assert theirs is not None and ours is not None and ours < theirs - 0.01
    assert f"{ours:.4f}" in finding.message and f"{theirs:.4f}" in finding.message
    assert "cancer-v1" in finding.message


def test_a_challenger_better_than_the_champion_beats_it(
    tmp_path: Path, good_model: Artifacts, cancer: Split
) -> None:
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(cancer.x_train, cancer.y_train)
    weak = export(tmp_path, stump, cancer.x_test, cancer.y_test, cancer.names)

    result = scan(good_model, champion=scanner.ChampionModel("stump", weak.uri, weak.digest))

    assert result.comparison is not None and result.comparison.beats is True
    assert not by(result, "champion")


def test_a_target_copied_into_a_feature_is_flagged_as_leakage(
    tmp_path: Path, cancer: Split
) -> None:
    leak = lambda x, y: np.column_stack([x, y.astype(np.float32)])  # noqa: E731
    forest = RandomForestClassifier(n_estimators=10, random_state=0, n_jobs=1)
    forest.fit(leak(cancer.x_train, cancer.y_train), cancer.y_train)
    names = [*cancer.names, "diagnosis_code"]
    model = export(tmp_path, forest, leak(cancer.x_test, cancer.y_test), cancer.y_test, names)

    result = scan(model)

    assert not result.passed
    [finding] = by(result, "leakage")
    assert finding.feature == "diagnosis_code"
    assert finding.severity == "major"


def test_holdout_rows_seen_in_training_are_flagged(tmp_path: Path, cancer: Split) -> None:
    forest = RandomForestClassifier(n_estimators=10, random_state=0, n_jobs=1)
    forest.fit(cancer.x_train, cancer.y_train)
    holdout = np.vstack([cancer.x_test, cancer.x_train[:40]])
    target = np.concatenate([cancer.y_test, cancer.y_train[:40]])
    model = export(tmp_path, forest, holdout, target, cancer.names)
    table = pa.table({name: cancer.x_train[:, i] for i, name in enumerate(cancer.names)})
    np.save(tmp_path / artifacts.TRAIN_ROW_HASHES, hashing.row_hashes(table))

    result = scan(model)

    [finding] = by(result, "leakage")
    assert finding.metric == "shared_rows"
    assert finding.value == pytest.approx(40 / len(target))
    assert "40 of" in finding.message
    assert not result.passed


def test_without_training_hashes_the_shared_rows_check_is_skipped_with_a_note(
    good_model: Artifacts,
) -> None:
    result = scan(good_model)

    assert any(artifacts.TRAIN_ROW_HASHES in note for note in result.notes)


def test_a_model_that_flips_under_a_tiny_move_of_one_feature_is_not_robust(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 2)).astype(np.float32)
    tree = DecisionTreeClassifier(max_depth=1).fit(x, (x[:, 0] > 0.5).astype(int))
    threshold = float(tree.tree_.threshold[0])
    # A fifth of the rows sit within 0.5% of the split; a move of 5% of x's spread crosses it.
    near = threshold * np.where(np.arange(40) % 2 == 0, 0.995, 1.005)
    spread_out = rng.uniform(0, 1, 160)
    x_holdout = np.concatenate([near, spread_out])
    holdout = np.column_stack([x_holdout, rng.uniform(0, 1, 200)]).astype(np.float32)
    model = export(tmp_path, tree, holdout, tree.predict(holdout), ["x", "noise"])

    result = scan(model)

    [finding] = by(result, "robustness")
    assert finding.feature == "x"
    assert finding.severity == "major"
    assert finding.setting == "validation.robustness.threshold"
    assert finding.value is not None and finding.passes_at is not None
    assert float(finding.passes_at) >= finding.value
    assert not result.passed

"""Each detector on the cases issue 18 names: no alarm where the data explains it, a finding
where a flaw was planted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier

from modelops.api.trainingrun import Task
from modelops.api.validation import Finding, ValidationPolicy
from modelops.runtime import artifacts
from modelops.runtime.scan import scanner
from modelops.runtime.scan.detectors import leakage, robustness
from modelops.runtime.train import hashing
from tests.scan.conftest import Artifacts, export


def scan(
    model: Artifacts, task: Task, policy: dict[str, object] | None = None
) -> scanner.ScanResult:
    request = scanner.ScanRequest(
        model.uri, model.digest, task, policy=ValidationPolicy.model_validate(policy or {})
    )
    return scanner.run(request)


def major(result: scanner.ScanResult, detector: str) -> list[Finding]:
    return [f for f in result.findings if f.detector == detector and f.severity == "major"]


def save_train_hashes(model: Artifacts, x_train: np.ndarray, names: list[str]) -> None:
    table = pa.table({name: x_train[:, i] for i, name in enumerate(names)})
    np.save(model.path / artifacts.TRAIN_ROW_HASHES, hashing.row_hashes(table))


def test_the_chance_of_a_shared_row_is_the_training_datas_own_duplicate_rate() -> None:
    hashes = np.array([1, 1, 2, 3, 3, 3, 4, 5], dtype=np.uint64)

    assert leakage.chance_shared(hashes) == 5 / 8
    assert leakage.chance_shared(np.arange(10, dtype=np.uint64)) == 0.0


def test_a_table_whose_rows_all_repeat_is_not_leakage(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    distinct = rng.normal(size=(120, 4)).astype(np.float32)
    labels = (distinct[:, 0] + distinct[:, 1] > 0).astype(int)
    x, y = np.repeat(distinct, 3, axis=0), np.repeat(labels, 3)
    order = rng.permutation(len(y))
    train, test = order[:260], order[260:]
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(x[train], y[train])
    names = ["a", "b", "c", "d"]
    model = export(tmp_path, forest, x[test], y[test], names)
    save_train_hashes(model, x[train], names)

    result = scan(model, Task.CLASSIFICATION)

    shared = leakage.chance_shared(np.load(model.path / artifacts.TRAIN_ROW_HASHES))
    assert shared > 0.8, "most holdout rows do have a copy in training: by chance"
    assert not [f for f in result.findings if f.metric == "shared_rows"]


def test_holdout_rows_copied_from_training_beyond_chance_are_leakage(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 0.5, 400) > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(x[:300], y[:300])
    holdout = np.vstack([x[300:], x[:30]])
    model = export(tmp_path, forest, holdout, np.concatenate([y[300:], y[:30]]), ["a", "b", "c"])
    save_train_hashes(model, x[:300], ["a", "b", "c"])

    [finding] = major(scan(model, Task.CLASSIFICATION), "leakage")

    assert finding.metric == "shared_rows"
    assert finding.setting == "validation.leakage.maxExcessSharedRows"
    assert "chance predicts 0.0%" in finding.message


def dollars(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Items whose price in dollars grows with size, with errors in proportion to price."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(0, 4, rows)
    quality = rng.uniform(0, 1, rows)
    price = np.exp(2 + size + quality) * rng.lognormal(0, 0.15, rows)
    return np.column_stack([size, quality]).astype(np.float32), price


def test_a_regressor_on_a_skewed_dollar_target_is_not_biased_on_expensive_items(
    tmp_path: Path,
) -> None:
    x, price = dollars(2000, 0)
    forest = RandomForestRegressor(n_estimators=30, min_samples_leaf=5, random_state=0)
    forest.fit(x[:1400], price[:1400])
    model = export(tmp_path, forest, x[1400:], price[1400:], ["size", "quality"])

    result = scan(model, Task.REGRESSION)

    expensive = [s for s in result.slices if s.slice.startswith("size >")]
    assert expensive and expensive[0].value > 2 * expensive[0].overall, "larger errors in dollars"
    assert not major(result, "slice_bias")


def test_a_slice_with_corrupted_labels_is_bias_for_a_regressor(tmp_path: Path) -> None:
    x, price = dollars(2000, 1)
    corrupted = price.copy()
    inside = x[:, 1] > 0.75
    corrupted[inside] = np.random.default_rng(2).permutation(price)[inside]
    forest = RandomForestRegressor(n_estimators=30, min_samples_leaf=5, random_state=0)
    forest.fit(x[:1400], corrupted[:1400])
    model = export(tmp_path, forest, x[1400:], corrupted[1400:], ["size", "quality"])

    findings = major(scan(model, Task.REGRESSION), "slice_bias")

    assert findings and findings[0].feature == "quality"
    assert "worse than overall" in findings[0].message


def test_a_slice_with_corrupted_labels_is_bias_for_a_classifier(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    inside = x[:, 2] > 0.7
    y[inside] = rng.integers(0, 2, inside.sum())
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(x[:1400], y[:1400])
    model = export(tmp_path, forest, x[1400:], y[1400:], ["a", "b", "c"])

    [finding] = major(scan(model, Task.CLASSIFICATION), "slice_bias")[:1]

    assert finding.feature == "c"
    assert finding.setting == "validation.sliceBias.threshold"
    assert finding.passes_at is not None and float(finding.passes_at) > 0.1


def test_a_small_slice_that_is_worse_by_chance_is_not_bias(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(700, 3)).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 0.8, 700) > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(x[:500], y[:500])
    model = export(tmp_path, forest, x[500:], y[500:], ["a", "b", "c"])

    result = scan(model, Task.CLASSIFICATION)

    assert max(s.gap for s in result.slices) > 0.1, "some slice is worse by over 10% by chance"
    assert not major(result, "slice_bias")


def test_a_year_column_moves_by_whole_years_and_is_not_fragile(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    year = rng.integers(1990, 2021, 1500).astype(np.float64)
    size = rng.normal(size=1500)
    y = ((year > 2005) ^ (size > 1.0)).astype(int)
    x = np.column_stack([year, size]).astype(np.float32)
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(x[:1000], y[:1000])
    model = export(tmp_path, forest, x[1000:], y[1000:], ["year", "size"])

    moved = robustness.perturb(x[1000:], 0.05, np.random.default_rng(0))
    steps = np.abs(moved[:, 0] - x[1000:, 0])
    assert set(np.unique(steps)) <= {0.0, 1.0}, "a year moves by a whole year or not at all"
    assert moved[:, 0].min() >= 1990 and moved[:, 0].max() <= 2020
    assert not [f for f in scan(model, Task.CLASSIFICATION).findings if f.detector == "robustness"]


def test_a_binary_feature_is_left_where_it_is() -> None:
    x = np.column_stack([np.arange(20) % 2, np.linspace(0, 1, 20)]).astype(np.float32)

    moved = robustness.perturb(x, 0.05, np.random.default_rng(0))

    assert np.array_equal(moved[:, 0], x[:, 0])
    assert not np.array_equal(moved[:, 1], x[:, 1])


def test_a_feature_that_is_the_target_plus_noise_is_leakage_for_a_regressor(
    tmp_path: Path,
) -> None:
    x, price = dollars(600, 6)
    leak = price + np.random.default_rng(7).normal(0, 0.05 * price.std(), 600)
    x = np.column_stack([x, leak]).astype(np.float32)
    forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(x[:400], price[:400])
    model = export(tmp_path, forest, x[400:], price[400:], ["size", "quality", "invoice"])

    [finding] = major(scan(model, Task.REGRESSION), "leakage")

    assert finding.feature == "invoice"


def test_an_overconfident_classifier_is_a_major_calibration_finding(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3000, 4)).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 1.0, 3000) > 0).astype(int)
    tree = DecisionTreeClassifier(random_state=0).fit(x[:2000], y[:2000])
    model = export(tmp_path, tree, x[2000:], y[2000:], ["a", "b", "c", "d"])

    [finding] = major(scan(model, Task.CLASSIFICATION), "calibration")

    assert finding.metric == "overconfidence"
    assert finding.setting == "validation.calibration.threshold"


def test_the_lenient_preset_lets_through_what_the_default_one_flags(tmp_path: Path) -> None:
    policy = ValidationPolicy.model_validate({"preset": "lenient", "sliceBias": {"minRows": 40}})

    settings = policy.settings()

    assert settings.slice_min_rows == 40, "a field set in the policy wins over the preset"
    assert settings.slice_threshold > ValidationPolicy().settings().slice_threshold
    wire = ValidationPolicy().to_api()
    assert wire["sliceBias"] == {"enabled": True}, "unset fields stay unset on the wire"

"""Judging windows offline: no drift on clean data, every kind of drift within one window."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from modelops.drift import detector, profile

from .conftest import PAIR, SHIFTED, columns, stream

WINDOW = 500


def test_windows_from_the_reference_distribution_are_not_drifted(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    reports = [detector.evaluate(reference, columns(stream(rng, WINDOW))) for _ in range(40)]

    assert all(r.drifted == [] and r.overall < 1.0 for r in reports)
    assert all(r.rows == WINDOW for r in reports)


def test_a_quarter_sigma_mean_shift_in_3_of_30_features_is_caught_in_one_window(
    reference: profile.Reference, reference_rows: NDArray[np.float64], rng: np.random.Generator
) -> None:
    caught = 0
    for _ in range(10):
        window = stream(rng, WINDOW)
        window[:, SHIFTED] += 0.25 * reference_rows[:, SHIFTED].std(axis=0)
        report = detector.evaluate(reference, columns(window))
        assert set(report.drifted) <= {f"f{i}" for i in SHIFTED}
        caught += report.overall >= 1.0
    assert caught >= 9


def test_a_scale_change_is_caught_and_names_the_features(
    reference: profile.Reference, reference_rows: NDArray[np.float64], rng: np.random.Generator
) -> None:
    window = stream(rng, WINDOW)
    center = reference_rows[:, SHIFTED].mean(axis=0)
    window[:, SHIFTED] = center + 1.5 * (window[:, SHIFTED] - center)

    report = detector.evaluate(reference, columns(window))

    assert sorted(report.drifted) == sorted(f"f{i}" for i in SHIFTED)
    assert report.overall >= 1.0


def test_two_features_becoming_correlated_is_caught_by_the_multivariate_test_alone(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    report = detector.evaluate(reference, columns(stream(rng, WINDOW, correlated_pair=True)))

    assert report.drifted == []
    assert report.multivariate >= 1.0
    assert report.overall == report.multivariate
    assert report.drifted_pairs[0] == tuple(f"f{i}" for i in PAIR)


def test_nan_and_infinite_values_are_counted_and_judged_without(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    window = stream(rng, WINDOW)
    window[:50, 3] = np.nan
    window[50:60, 3] = np.inf
    window[60:70, :] = -np.inf

    report = detector.evaluate(reference, columns(window))

    assert report.nonfinite["f3"] == 70
    assert report.nonfinite["f4"] == 10
    assert report.drifted == []
    assert np.isfinite(report.overall)


def test_a_window_too_small_to_judge_scores_zero(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    window = stream(rng, detector.MIN_ROWS - 1) * 10.0

    assert detector.evaluate(reference, columns(window)).overall == 0.0


def test_a_window_missing_a_feature_is_refused(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    window = columns(stream(rng, WINDOW))
    del window["f7"]

    with pytest.raises(ValueError, match="f7"):
        detector.evaluate(reference, window)


def test_category_frequency_change_is_drift_but_a_few_unseen_values_are_not() -> None:
    rng = np.random.default_rng(3)
    cities = ["paris", "rome", "oslo", "lima"]
    p = [0.4, 0.3, 0.2, 0.1]
    ref = profile.build_reference(
        {"city": rng.choice(cities, size=5000, p=p), "x": rng.normal(size=5000)},
        categorical=["city"],
    )
    unseen = list(rng.choice(cities, size=WINDOW - 3, p=p)) + ["tokyo"] * 3
    shifted = rng.choice(cities, size=WINDOW, p=[0.3, 0.3, 0.2, 0.2])
    x = rng.normal(size=WINDOW)

    calm = detector.evaluate(ref, {"city": unseen, "x": x})
    moved = detector.evaluate(ref, {"city": shifted, "x": x})

    assert calm.drifted == []
    assert moved.drifted == ["city"]
    assert moved.psi["city"] > calm.psi["city"]


def test_a_feature_constant_in_the_reference_does_not_break_judging() -> None:
    rng = np.random.default_rng(4)
    ref = profile.build_reference({"flat": np.ones(1000), "x": rng.normal(size=1000)})

    report = detector.evaluate(ref, {"flat": np.ones(WINDOW), "x": rng.normal(size=WINDOW)})

    assert report.features == {"flat": 0.0, "x": report.features["x"]}
    assert report.drifted == []


def test_report_to_dict_is_json_able(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    import json

    report = detector.evaluate(reference, columns(stream(rng, WINDOW, correlated_pair=True)))

    assert json.loads(json.dumps(report.to_dict()))["drifted_pairs"] == [["f20", "f21"]]

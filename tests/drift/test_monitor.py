"""The server's sliding window: cheap to feed, forgets old rows, reports without side effects."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from modelops.drift import detector, profile

from .conftest import FEATURES, SHIFTED, stream


def shifted(
    rng: np.random.Generator, rows: int, reference_rows: NDArray[np.float64]
) -> NDArray[np.float64]:
    window = stream(rng, rows)
    window[:, SHIFTED] += 0.5 * reference_rows[:, SHIFTED].std(axis=0)
    return window


def test_drift_falls_once_clean_rows_refill_the_window(
    reference: profile.Reference, reference_rows: NDArray[np.float64], rng: np.random.Generator
) -> None:
    monitor = detector.DriftMonitor(reference, window=500)

    monitor.observe(shifted(rng, 500, reference_rows))
    drifting = monitor.report()
    for batch in np.split(stream(rng, 500), 50):
        monitor.observe(batch.astype(np.float32))
    recovered = monitor.report()

    assert sorted(drifting.drifted) == sorted(f"f{i}" for i in SHIFTED)
    assert recovered.drifted == []
    assert recovered.rows == 500


def test_row_by_row_and_whole_batch_give_the_same_report(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    rows = stream(rng, 700)
    one_by_one = detector.DriftMonitor(reference, window=500)
    at_once = detector.DriftMonitor(reference, window=500)

    for row in rows:
        one_by_one.observe(row[None, :])
    at_once.observe(rows)

    single, batched = one_by_one.report(), at_once.report()
    assert single.rows == batched.rows == 500
    assert single.features == pytest.approx(batched.features)
    assert single.multivariate == pytest.approx(batched.multivariate)


def test_report_changes_nothing(reference: profile.Reference, rng: np.random.Generator) -> None:
    monitor = detector.DriftMonitor(reference, window=500)
    monitor.observe(stream(rng, 300))

    assert monitor.report().to_dict() == monitor.report().to_dict()


def test_nan_rows_are_counted_not_fatal(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    monitor = detector.DriftMonitor(reference, window=500)
    monitor.observe(stream(rng, 400))
    monitor.observe(np.full((100, FEATURES), np.nan))

    report = monitor.report()

    assert report.nonfinite["f0"] == 100
    assert report.drifted == []


def test_wrong_shapes_and_unknown_features_are_refused(reference: profile.Reference) -> None:
    monitor = detector.DriftMonitor(reference, window=500)

    with pytest.raises(ValueError, match="30"):
        monitor.observe(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="city"):
        monitor.observe_categorical("city", ["paris"])
    with pytest.raises(ValueError, match="window"):
        detector.DriftMonitor(reference, window=10)


def test_categorical_window_slides_too() -> None:
    rng = np.random.default_rng(5)
    ref = profile.build_reference(
        {"city": rng.choice(["a", "b"], size=2000), "x": rng.normal(size=2000)},
        categorical=["city"],
    )
    monitor = detector.DriftMonitor(ref, window=300)
    monitor.observe(rng.normal(size=(300, 1)))

    monitor.observe_categorical("city", ["a"] * 300)
    drifting = monitor.report()
    monitor.observe_categorical("city", list(rng.choice(["a", "b"], size=300)))
    recovered = monitor.report()

    assert drifting.drifted == ["city"]
    assert recovered.drifted == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=12))
def test_the_window_holds_exactly_the_latest_rows(batches: list[int]) -> None:
    ring = detector._Ring(500, (2,), np.float64)
    pushed = []
    start = 0
    for size in batches:
        rows = np.arange(start, start + size, dtype=np.float64)[:, None].repeat(2, axis=1)
        ring.push(rows)
        pushed.extend(range(start, start + size))
        start += size

    assert sorted(ring.filled()[:, 0].tolist()) == pushed[-500:]

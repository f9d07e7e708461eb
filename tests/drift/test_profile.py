"""reference.json: what the trainer writes and the server reads back."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops.drift import detector, profile, psi

from .conftest import columns, stream


def test_reference_round_trips_through_json(
    reference: profile.Reference, rng: np.random.Generator
) -> None:
    data = json.loads(json.dumps(reference.to_dict()))
    again = profile.Reference.from_dict(data)
    window = columns(stream(rng, 500, correlated_pair=True))

    assert again.to_dict() == reference.to_dict()
    assert detector.evaluate(again, window) == detector.evaluate(reference, window)


def test_reference_records_what_the_issue_asks_for(reference: profile.Reference) -> None:
    data = reference.to_dict()
    first = data["numeric"][0]

    assert reference.numeric_features == tuple(f"f{i}" for i in range(30))
    assert len(first["edges"]) == 9
    assert sum(first["counts"]) == 10_000
    assert min(first["counts"]) > 0
    assert data["multivariate"]["components"]
    assert data["thresholds"]["false_alarm_rate"] == profile.FALSE_ALARM_RATE
    assert 200 <= data["window"] <= 2000


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d.update(format="v0"), "format"),
        (_drop("thresholds"), "thresholds"),
        (lambda d: d["numeric"][2].update(grid=[3.0, 1.0]), r"numeric feature 'f2'.*grid"),
        (lambda d: d["numeric"][1].update(counts=[1, 2]), r"numeric\[1\].counts"),
        (lambda d: d["numeric"][0].pop("name"), r"numeric\[0\].name"),
        (lambda d: d["numeric"][0].update(grid_counts=[1.5]), "grid_counts"),
        (lambda d: d["thresholds"].update(two_sided=-1), "two_sided"),
        (lambda d: d["multivariate"].update(center=[0.0]), "multivariate"),
        (lambda d: d.update(numeric="nope"), "numeric must be a list"),
        (lambda d: d.update(rows="many"), "rows"),
    ],
)
def test_a_malformed_reference_says_what_is_wrong(
    reference: profile.Reference, break_it: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = copy.deepcopy(reference.to_dict())
    break_it(data)

    with pytest.raises(ValueError, match=message):
        profile.Reference.from_dict(data)


def test_building_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        profile.build_reference({"a": np.zeros(100), "b": np.zeros(99)})
    with pytest.raises(ValueError, match="not in columns"):
        profile.build_reference({"a": np.zeros(100)}, categorical=["b"])
    with pytest.raises(ValueError, match="'c' is not numeric"):
        profile.build_reference({"c": ["x"] * 100})
    with pytest.raises(ValueError, match="at least 20 rows"):
        profile.build_reference({"a": np.zeros(5)})


def test_discrete_features_get_no_empty_bins() -> None:
    rng = np.random.default_rng(1)
    ref = profile.build_reference({"k": rng.poisson(1.0, size=3000), "x": rng.normal(size=3000)})

    counts = ref.to_dict()["numeric"][0]["counts"]
    assert min(counts) > 0
    assert len(counts) < 10


@settings(max_examples=500, deadline=None)
@given(
    # Reference bins are quantile bins of many rows; with a handful per bin the smoothing
    # pseudo-counts alone move PSI by more than 1e-3.
    st.lists(st.integers(min_value=100, max_value=1000), min_size=2, max_size=12),
    st.integers(min_value=1, max_value=5),
)
def test_psi_is_zero_for_proportional_counts_and_positive_otherwise(
    counts: list[int], factor: int
) -> None:
    reference = np.array([counts], dtype=np.float64)
    valid = np.ones_like(reference, dtype=bool)
    other = reference[:, ::-1]

    assert psi.index(reference * factor, reference, valid)[0] == pytest.approx(0.0, abs=1e-3)
    assert psi.index(other, reference, valid)[0] >= 0.0

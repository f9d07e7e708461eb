"""The drift module's own numerics agree with the references they replace."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops.drift import marginal, multivariate, scores


def test_ndtri_matches_the_standard_library_over_the_whole_range() -> None:
    rng = np.random.default_rng(7)
    p = np.concatenate(
        [
            rng.random(20_000),
            10.0 ** -rng.uniform(1, 300, 2_000),  # far lower tail
            1.0 - 10.0 ** -rng.uniform(1, 16, 2_000),  # upper tail up to float precision
            [0.075, 0.5, 0.925, 5e-324],  # region boundaries and the smallest double
        ]
    )
    expected = np.array([NormalDist().inv_cdf(float(v)) for v in p])
    assert np.allclose(scores.ndtri(p), expected, rtol=1e-15, atol=0.0)


def test_ndtri_is_infinite_at_the_ends_and_nan_outside() -> None:
    result = scores.ndtri(np.array([0.0, 1.0, -0.1, 1.1, np.nan]))
    assert result[0] == -np.inf and result[1] == np.inf
    assert np.isnan(result[2:]).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=400),
    st.integers(1, 200),
)
def test_grid_quantiles_are_numpys_inverted_cdf(values: list[float], points: int) -> None:
    ordered = np.sort(np.array(values))
    q = np.linspace(0.0, 1.0, points + 1)
    found = ordered[marginal._inverted_cdf(ordered.size, q)]
    assert np.array_equal(found, np.quantile(ordered, q, method="inverted_cdf"))


@settings(max_examples=100, deadline=None)
@given(st.integers(20, 3000), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_clip_quantiles_are_numpys_linear_quantiles(rows: int, features: int, seed: int) -> None:
    values = np.random.default_rng(seed).standard_t(3, size=(rows, features))
    q = np.array([multivariate.CLIP, 1.0 - multivariate.CLIP])
    ordered = np.sort(values.T, axis=1)
    assert np.allclose(multivariate._quantiles(ordered, q), np.quantile(values, q, axis=0))

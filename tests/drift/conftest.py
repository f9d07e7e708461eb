"""A 30-feature stream shared by the drift tests: a correlated block, skewed and
heavy-tailed marginals, and one way to break each kind of stationarity."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from modelops.drift import profile

FEATURES = 30
SHIFTED = [0, 12, 25]
PAIR = (20, 21)


def names() -> list[str]:
    return [f"f{i}" for i in range(FEATURES)]


def stream(
    rng: np.random.Generator, rows: int, correlated_pair: bool = False
) -> NDArray[np.float64]:
    """Rows of the stream; ``correlated_pair`` makes f20 and f21 correlate (0.8), marginals kept."""
    z = rng.normal(size=(rows, FEATURES))
    factor = rng.normal(size=(rows, 1))
    z[:, :10] = 0.7 * z[:, :10] + np.sqrt(1 - 0.49) * factor
    if correlated_pair:
        a, b = PAIR
        z[:, b] = 0.8 * z[:, a] + 0.6 * z[:, b]
    x = z.copy()
    x[:, 1::3] = np.exp(0.5 * z[:, 1::3])
    x[:, 2::3] = z[:, 2::3] ** 3 / 3 + z[:, 2::3]
    return x


def columns(matrix: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    return {name: matrix[:, i] for i, name in enumerate(names())}


@pytest.fixture(scope="package")
def reference_rows() -> NDArray[np.float64]:
    return stream(np.random.default_rng(2024), 10_000)


@pytest.fixture(scope="package")
def reference(reference_rows: NDArray[np.float64]) -> profile.Reference:
    return profile.build_reference(columns(reference_rows))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)

"""The holdout split: exact sizes, every class in proportion, seeded, and clear refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops.runtime.train import split
from modelops.runtime.train.errors import InvalidDataset


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(2, 300), min_size=1, max_size=6),
    st.floats(0.05, 0.5),
    st.integers(0, 2**32 - 1),
)
def test_a_stratified_split_holds_out_each_class_in_proportion(
    class_sizes: list[int], fraction: float, seed: int
) -> None:
    target = np.random.default_rng(seed).permutation(
        np.repeat(np.arange(len(class_sizes)), class_sizes)
    )
    n = len(target)
    held = math.ceil(fraction * n)
    if held < len(class_sizes) or n - held < len(class_sizes):
        with pytest.raises(InvalidDataset, match="each side needs a row of every class"):
            split.holdout(target, fraction, seed, stratify=True)
        return

    train_rows, holdout_rows = split.holdout(target, fraction, seed, stratify=True)

    assert len(holdout_rows) == held
    assert np.array_equal(np.sort(np.concatenate([train_rows, holdout_rows])), np.arange(n))
    assert np.all(np.diff(train_rows) > 0) and np.all(np.diff(holdout_rows) > 0)
    for label, size in enumerate(class_sizes):
        in_holdout = int(np.sum(target[holdout_rows] == label))
        assert abs(in_holdout - size * held / n) < 1.0
        assert in_holdout < size  # every class keeps a training row


def test_the_split_is_seeded_and_the_seed_matters() -> None:
    target = np.tile([0, 1, 2], 200)
    first = split.holdout(target, 0.2, seed=7, stratify=True)
    again = split.holdout(target, 0.2, seed=7, stratify=True)
    other = split.holdout(target, 0.2, seed=8, stratify=True)

    assert np.array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_an_unstratified_split_takes_a_random_share_of_the_rows() -> None:
    target = np.linspace(0.0, 1.0, 1_000)
    train_rows, holdout_rows = split.holdout(target, 0.25, seed=0, stratify=False)

    assert (len(train_rows), len(holdout_rows)) == (750, 250)
    # Drawn from across the data, not its head or tail.
    assert 0.4 < target[holdout_rows].mean() < 0.6


def test_a_class_with_one_row_is_refused_with_what_to_do() -> None:
    target = np.array(["a"] * 50 + ["b"] * 50 + ["c"])
    with pytest.raises(InvalidDataset, match=r"a class has only one row.*add rows of that class"):
        split.holdout(target, 0.2, seed=0, stratify=True)

"""Built-in datasets: bundled tables and the seeded synthetic generator the drift demo uses."""

from __future__ import annotations

import numpy as np
import pytest

from modelops.runtime.train import builtin
from modelops.runtime.train.errors import InvalidSpec


@pytest.mark.parametrize(
    ("name", "rows", "a_column"),
    [
        ("breast_cancer", 569, "mean_radius"),
        ("iris", 150, "petal_width_cm"),
        ("wine", 178, "od280_od315_of_diluted_wines"),
        ("diabetes", 442, "bmi"),
    ],
)
def test_bundled_tables_have_column_safe_names_and_a_target(
    name: str, rows: int, a_column: str
) -> None:
    table, digest = builtin.load(f"builtin://{name}")

    assert table.num_rows == rows
    assert a_column in table.column_names
    assert table.column_names[-1] == "target"
    assert digest.startswith("sha256:")


def test_synthetic_data_follows_its_query() -> None:
    table, _ = builtin.load("builtin://synthetic?task=regression&rows=123&features=4&seed=1")

    assert table.num_rows == 123
    assert table.column_names == ["f0", "f1", "f2", "f3", "target"]
    assert len(set(table.column("target").to_pylist())) > 100


def test_the_same_seed_gives_the_same_table_and_digest() -> None:
    first = builtin.load("builtin://synthetic?rows=200&seed=7")
    second = builtin.load("builtin://synthetic?rows=200&seed=7")
    other = builtin.load("builtin://synthetic?rows=200&seed=8")

    assert first[0].equals(second[0])
    assert first[1] == second[1] != other[1]


def test_shift_moves_the_first_three_features_only() -> None:
    plain, plain_digest = builtin.load("builtin://synthetic?rows=500&features=5")
    shifted, shifted_digest = builtin.load("builtin://synthetic?rows=500&features=5&shift=2.5")

    moved = [
        float(np.mean(shifted.column(c).to_numpy() - plain.column(c).to_numpy()))
        for c in ("f0", "f1", "f2", "f3", "f4")
    ]
    assert moved == pytest.approx([2.5, 2.5, 2.5, 0.0, 0.0])
    assert shifted.column("target").equals(plain.column("target"))
    assert plain_digest != shifted_digest


@pytest.mark.parametrize(
    ("uri", "wanted"),
    [
        ("builtin://mnist", "unknown built-in dataset 'mnist'"),
        ("builtin://synthetic?colour=red", "unknown builtin://synthetic parameter 'colour'"),
        ("builtin://synthetic?rows=many", "rows='many' is not an integer"),
        ("builtin://synthetic?rows=1", "rows=1 must be between 10"),
        ("builtin://synthetic?features=3&informative=4", "informative=4 exceeds features=3"),
        ("builtin://synthetic?task=ranking", "use task=classification or regression"),
        ("builtin://iris?rows=5", "builtin://iris takes no query parameters"),
    ],
)
def test_a_bad_builtin_uri_says_what_is_wrong(uri: str, wanted: str) -> None:
    with pytest.raises(InvalidSpec) as raised:
        builtin.load(uri)

    assert wanted in str(raised.value)

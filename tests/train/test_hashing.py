"""Row hashes: equal rows hash equal, any changed value changes the hash."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pyarrow as pa

from modelops.runtime.train.hashing import row_hashes


def test_equal_rows_hash_equal_and_different_rows_differ() -> None:
    table = pa.table({"a": [1.0, 2.0, 1.0, 1.0], "b": [3, 4, 3, 5]})

    hashes = row_hashes(table)

    assert hashes.dtype == np.uint64
    assert hashes[0] == hashes[2]
    assert len({hashes[0], hashes[1], hashes[3]}) == 3


def test_a_row_hashes_the_same_from_integers_floats_and_a_later_table() -> None:
    ints = row_hashes(pa.table({"a": [1, 2, 3]}))
    floats = row_hashes(pa.table({"a": [3.0, 2.0, 1.0]}))

    assert ints.tolist() == floats[::-1].tolist()


def test_column_order_and_category_values_matter() -> None:
    forward = row_hashes(pa.table({"a": [1.0], "b": [2.0]}))
    backward = row_hashes(pa.table({"b": [2.0], "a": [1.0]}))
    red = row_hashes(pa.table({"a": [1.0], "c": ["red"]}), categorical=["c"])
    blue = row_hashes(pa.table({"a": [1.0], "c": ["blue"]}), categorical=["c"])

    assert forward != backward
    assert red != blue


def test_negative_zero_and_every_nan_hash_as_one_value() -> None:
    table = pa.table({"a": [0.0, -0.0, float("nan"), -float("nan")]})

    hashes = row_hashes(table)

    assert hashes[0] == hashes[1]
    assert hashes[2] == hashes[3]


def test_a_missing_category_hashes_as_the_empty_string() -> None:
    hashes = row_hashes(pa.table({"c": ["", None, "x"]}), categorical=["c"])

    assert hashes[0] == hashes[1] != hashes[2]


def _splitmix64(x: int) -> int:
    mask = 2**64 - 1
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & mask
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & mask
    return x ^ (x >> 31)


def _documented_hash(row: list[float | str]) -> int:
    """The algorithm as hashing's docstring states it, one value at a time in plain Python."""
    h = 0
    for value in row:
        if isinstance(value, str):
            v = int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")
        else:
            v = int.from_bytes(struct.pack("<d", value), "little")
        h = ((h ^ v ^ (v >> 32)) * 0x9E3779B97F4A7C15) % 2**64
    return _splitmix64(h)


def test_hashes_follow_the_documented_algorithm() -> None:
    """The scanner compares hashes written by an earlier trainer: the function must not drift."""
    table = pa.table({"a": [1.5, -2.0], "n": [3, 0], "c": ["red", "blue"]})

    hashes = row_hashes(table, categorical=["c"])

    assert hashes.tolist() == [
        _documented_hash([1.5, 3.0, "red"]),
        _documented_hash([-2.0, 0.0, "blue"]),
    ]

"""Tensor data read from simdjson's tape equal what the list path reads, errors included."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import simdjson
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops.runtime.serve import tensors

scalars = (
    st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.integers(-(2**63), 2**64 - 1)
    | st.booleans()
    | st.none()
)


@st.composite
def tensors_data(draw: st.DrawFn) -> tuple[Any, list[int], str]:
    shape = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
    count = int(np.prod(shape))
    kind = draw(st.sampled_from(["float", "int", "mixed"]))
    element = {
        "float": st.floats(-1e30, 1e30),
        "int": st.integers(-(2**40), 2**40),
        "mixed": scalars,
    }[kind]
    flat = draw(st.lists(element, min_size=count, max_size=count))
    # Sometimes the wrong number of values, sometimes nested as the shape says.
    if draw(st.booleans()) and flat:
        flat = flat[:-1]
    data: Any = flat
    if draw(st.booleans()) and len(flat) == count and count:
        data = np.array(flat, dtype=object).reshape(shape).tolist()
    datatype = draw(st.sampled_from(["FP32", "FP64", "INT64", "INT32", "UINT8"]))
    return data, shape, datatype


def _read(data: Any, shape: list[int], datatype: str) -> np.ndarray | str:
    try:
        return tensors.from_json("x", data, shape, datatype)
    except tensors.TensorError as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(tensors_data())
def test_the_tape_reads_what_the_list_path_reads(case: tuple[Any, list[int], str]) -> None:
    data, shape, datatype = case
    expected = _read(data, shape, datatype)
    parsed = simdjson.Parser().parse(json.dumps({"data": data}).encode())["data"]
    actual = _read(parsed, shape, datatype)
    if isinstance(expected, str):
        assert actual == expected
    else:
        assert isinstance(actual, np.ndarray)
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize(
    ("data", "shape"),
    [([[1.0, 2.0], [3.0]], [2, 2]), ([1.0, [2.0, 3.0]], [3]), ([[1.0, 2.0], 3.0], [2, 2])],
    ids=["ragged rows", "a row in flat data", "a number among rows"],
)
def test_irregular_data_is_refused_as_the_list_path_refuses_it(
    data: list[Any], shape: list[int]
) -> None:
    parsed = simdjson.Parser().parse(json.dumps(data).encode())
    with pytest.raises(tensors.TensorError, match=r"regular array|needs"):
        tensors.from_json("x", parsed, shape, "FP32")


def test_an_array_where_the_first_number_belongs_is_refused() -> None:
    parsed = simdjson.Parser().parse(b"[[1.0], 2.0]")
    with pytest.raises(tensors.TensorError):
        tensors.from_json("x", parsed, [2], "FP32")

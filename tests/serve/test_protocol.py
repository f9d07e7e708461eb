"""The plain-request shortcut gives exactly what the full parser gives, or stands aside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops.runtime import artifacts
from modelops.runtime.serve import protocol
from modelops.runtime.serve.model import Model
from tests.serve.conftest import Served

LIMITS = protocol.Limits(max_batch_size=8, allow_non_finite=False)
ROW = [float(v) for v in range(30)]


@pytest.fixture(scope="module")
def model(served: Served) -> Model:
    return Model.from_bytes(Path(served.uri.removeprefix("file://"), artifacts.MODEL).read_bytes())


#: Ways to spoil one part of a plain request (a valid one, as drawn, is changed by none).
SPOILERS: dict[str, list[Any]] = {
    "name": ["x", 3],
    "shape": [[30], [-1, 30], [1, 29], [1, 30.0], "1,30"],
    "datatype": ["INT64", "FLOAT", 1],
    "data": [
        ROW[:-1],  # one value short
        [None, *ROW[1:]],  # null reads as NaN
        [1e39, *ROW[1:]],  # finite in JSON, infinite as float32
        ["a"] * 30,
        [*ROW[:-1], [1.0]],
        {"a": 1},
    ],
}


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Plain requests, most of them spoilt in a part or two, some with more than plain."""
    rows = draw(st.integers(0, 10))
    nested = draw(st.booleans())
    entry: dict[str, Any] = {
        "name": "input",
        "shape": [rows, 30],
        "datatype": draw(st.sampled_from(["FP32", "FP64"])),
        "data": [ROW] * rows if nested else [v for _ in range(rows) for v in ROW],
    }
    if draw(st.booleans()):
        entry["data"] = [int(v) for v in entry["data"]] if not nested else entry["data"]
    for part in draw(st.lists(st.sampled_from([*SPOILERS, "drop", "parameters"]), max_size=2)):
        if part == "drop":
            del entry[draw(st.sampled_from(sorted(entry)))]
        elif part == "parameters":
            entry["parameters"] = {}
        else:
            entry[part] = draw(st.sampled_from(SPOILERS[part]))
    document: dict[str, Any] = {"inputs": [entry] * draw(st.sampled_from([1, 1, 1, 1, 2, 0]))}
    extra = draw(st.sampled_from([None, None, ("id", "r-1"), ("id", 7), ("outputs", [])]))
    if extra is not None:
        document[extra[0]] = extra[1]
    return orjson.dumps(document)


def _outcome(read: Any) -> Any:
    try:
        request = read()
    except protocol.InferenceError as error:
        return ("error", error.status, error.message)
    if request is None:
        return None
    arrays = {name: (a.dtype.str, a.shape, a.tobytes()) for name, a in request.inputs.items()}
    return (request.id, arrays, request.outputs, request.binary_outputs, request.batch_size)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bodies())
def test_the_shortcut_agrees_with_the_full_parser(model: Model, body: bytes) -> None:
    parsed = protocol._parse(body)
    shortcut = _outcome(lambda: protocol._plain_request(parsed, model, LIMITS))
    full = _outcome(
        lambda: protocol._full_request(body, None, protocol._parse(body), model, LIMITS)
    )

    if shortcut is not None:
        assert shortcut == full


def test_the_plain_request_most_clients_send_takes_the_shortcut(model: Model) -> None:
    body = orjson.dumps(
        {
            "id": "a",
            "inputs": [{"name": "input", "shape": [2, 30], "datatype": "FP32", "data": ROW * 2}],
        }
    )
    request = protocol._plain_request(protocol._parse(body), model, LIMITS)

    assert request is not None
    assert request.inputs["input"].shape == (2, 30)
    assert request.inputs["input"].dtype == np.float32
    assert (request.id, request.outputs, request.batch_size) == ("a", list(model.outputs), 2)


def test_requests_share_one_parser_even_after_a_bad_one(model: Model) -> None:
    good = orjson.dumps(
        {"inputs": [{"name": "input", "shape": [1, 30], "datatype": "FP32", "data": ROW}]}
    )
    bad = orjson.dumps(
        {"inputs": [{"name": "input", "shape": [1, 30], "datatype": "FP32", "data": ROW[:-1]}]}
    )
    protocol.parse_infer_request(good, None, model, LIMITS)
    shared = protocol._parsers.shared

    with pytest.raises(protocol.InferenceError, match="needs 30 values"):
        protocol.parse_infer_request(bad, None, model, LIMITS)
    protocol.parse_infer_request(good, None, model, LIMITS)

    # Nothing simdjson made outlived its request, not even through the error's traceback.
    assert protocol._parsers.shared is shared


def test_a_document_still_in_use_gets_the_next_request_a_parser_of_its_own() -> None:
    kept = protocol._parse(b'{"inputs": [1]}')
    again = protocol._parse(b'{"inputs": [2]}')

    assert kept["inputs"][0] == 1
    assert again["inputs"][0] == 2

"""Bad requests get a 4xx with a message naming the problem, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serve.conftest import Served, StartClient

Client = TestClient[Any, Any]
Body = Callable[..., dict[str, Any]]
INFER = "/v2/models/cancer/infer"
ROW = [1.0] * 30


def request(**fields: Any) -> dict[str, Any]:
    entry = {"name": "input", "shape": [1, 30], "datatype": "FP32", "data": ROW, **fields}
    return {"inputs": [entry]}


BAD_REQUESTS = {
    "shape vs data length": (request(data=[1.0] * 29), "needs 30 values, data has 29"),
    "feature count": (request(shape=[1, 29], data=[1.0] * 29), "shape [-1, 30], got [1, 29]"),
    "rank": (request(shape=[30]), "shape [-1, 30], got [30]"),
    "wrong datatype": (request(datatype="BOOL"), "datatype FP32, got BOOL"),
    "floats sent as INT64": (request(datatype="INT64"), "data are not INT64 values"),
    "unknown datatype": (request(datatype="FLOAT"), "unknown datatype 'FLOAT'"),
    "unknown input": (request(name="x"), "unknown input 'x'"),
    "missing input": ({"inputs": []}, "missing input(s): input"),
    "no inputs": ({"id": "x"}, "'inputs' must be an array"),
    "unknown output": ({**request(), "outputs": [{"name": "score"}]}, "unknown output 'score'"),
    "NaN": (request(data=[None] + ROW[1:]), "non-finite"),
    "strings for numbers": (request(data=["a"] * 30), "not FP32 values"),
    "ragged rows": (request(shape=[2, 30], data=[ROW, ROW[:2]]), "not a regular array"),
    "rows in flat data": (request(shape=[2, 30], data=[*ROW, ROW]), "not a regular array"),
    "negative dimension": (request(shape=[-1, 30]), "non-negative integers"),
    "not an object": ([1, 2], "must be a JSON object"),
    "numeric id": ({**request(), "id": 5}, "'id' must be a string"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
async def test_a_bad_request_is_400_naming_the_problem(client: Client, case: str) -> None:
    payload, message = BAD_REQUESTS[case]
    response = await client.post(INFER, json=payload)
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_an_integer_beyond_64_bits_is_a_number_not_malformed_json(client: Client) -> None:
    body = b'{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP64","data":['
    body += str(2**70).encode() + b",1.0" * 29 + b"]}]}"
    response = await client.post(INFER, data=body, headers={"Content-Type": "application/json"})
    assert response.status == 200, await response.text()


async def test_non_finite_values_are_rejected_unless_allowed(
    start_client: StartClient, served: Served
) -> None:
    body = b'{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP64","data":['
    body += b"null" + b",1.0" * 29 + b"]}]}"
    headers = {"Content-Type": "application/json"}
    strict = await start_client(served.config())
    rejected = await strict.post(INFER, data=body, headers=headers)
    assert rejected.status == 400
    assert "non-finite value (NaN or infinity) at index [0, 0]" in (await rejected.json())["error"]
    lenient = await start_client(served.config(allow_non_finite=True))
    assert (await lenient.post(INFER, data=body, headers=headers)).status == 200


async def test_a_batch_over_the_maximum_is_400(
    start_client: StartClient, served: Served, body: Body
) -> None:
    client = await start_client(served.config(max_batch_size=8))
    assert (await client.post(INFER, json=body(served.features[:8]))).status == 200
    response = await client.post(INFER, json=body(served.features[:9]))
    assert response.status == 400
    assert "batch size 9 is over the maximum of 8" in (await response.json())["error"]


async def test_malformed_json_is_400(client: Client) -> None:
    response = await client.post(
        INFER, data=b'{"inputs": [', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    error = (await response.json())["error"]
    assert "malformed JSON" in error
    assert "char 12" in error  # where it broke off, for the client to find


async def test_a_wrong_content_type_is_400(client: Client) -> None:
    response = await client.post(
        INFER, data=orjson.dumps(request()), headers={"Content-Type": "text/csv"}
    )
    assert response.status == 400
    assert "text/csv" in (await response.json())["error"]


async def test_a_body_over_the_limit_is_413(start_client: StartClient, served: Served) -> None:
    client = await start_client(served.config(max_body_bytes=2048))
    response = await client.post(INFER, json=request(data=[1.0] * 3000, shape=[100, 30]))
    assert response.status == 413
    assert "2048 bytes" in (await response.json())["error"]


# One server answers every generated body; it keeps no state between requests that matters.
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["input", "other"]) | st.text(max_size=3) | st.integers(),
        "shape": st.lists(st.integers(-2, 40), max_size=3) | json_values,
        "datatype": st.sampled_from(["FP32", "FP64", "INT64", "BYTES", "BOOL", "X"]) | json_values,
        "data": st.lists(st.floats() | st.integers() | st.text(max_size=2), max_size=70)
        | json_values,
        "parameters": st.just({"binary_data_size": 8}) | json_values,
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "inputs": st.lists(entries, max_size=3) | json_values,
        "outputs": st.lists(st.fixed_dictionaries({"name": json_values}), max_size=2) | json_values,
        "id": json_values,
        "parameters": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=SUPPRESSED)
@given(payload=bodies | json_values)
async def test_generated_bad_bodies_never_get_a_server_error(client: Client, payload: Any) -> None:
    data = json.dumps(payload).encode()
    response = await client.post(INFER, data=data, headers={"Content-Type": "application/json"})
    assert response.status < 500, await response.text()
    if response.status != 200:
        assert (await response.json())["error"]


@settings(max_examples=100, deadline=None, suppress_health_check=SUPPRESSED)
@given(
    raw=st.binary(max_size=200), header=st.integers(-5, 300) | st.text("0123456789x-", max_size=4)
)
async def test_generated_binary_bodies_never_get_a_server_error(
    client: Client, raw: bytes, header: int | str
) -> None:
    response = await client.post(
        INFER,
        data=b'{"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32",'
        b'"parameters":{"binary_data_size":120}}]}' + raw,
        headers={"Inference-Header-Content-Length": str(header)},
    )
    assert response.status < 500, await response.text()


def test_finite_values_whose_sum_overflows_are_not_called_non_finite() -> None:
    from modelops.runtime.serve import protocol

    protocol._reject_non_finite("x", np.array([1e308, 1e308, -1e308]))  # no error
    with pytest.raises(protocol.InferenceError, match=r"at index \[2\]"):
        protocol._reject_non_finite("x", np.array([1e308, 1e308, np.inf]))


@pytest.mark.parametrize("key", ["\x00", "\ud800"], ids=["NUL", "lone surrogate"])
async def test_keys_the_fast_parser_cannot_take_still_get_a_4xx(client: Client, key: str) -> None:
    body = json.dumps({**request(), key: 1}).encode()
    response = await client.post(INFER, data=body, headers={"Content-Type": "application/json"})
    assert response.status < 500, await response.text()

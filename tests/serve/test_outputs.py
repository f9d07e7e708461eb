"""What comes back is what was asked for, each output once, however the request repeats it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.serve.conftest import Served, v2_body

Client = TestClient[Any, Any]
INFER = "/v2/models/cancer/infer"


async def test_an_output_requested_many_times_is_returned_once(
    client: Client, served: Served
) -> None:
    request = v2_body(served.features[:64], outputs=[{"name": "probabilities"}] * 5000)
    response = await client.post(INFER, data=orjson.dumps(request))
    assert response.status == 200
    body = await response.read()
    outputs = orjson.loads(body)["outputs"]
    assert [output["name"] for output in outputs] == ["probabilities"]
    # The answer is the size of one output, not five thousand (it was 5000 x on the old code).
    once = [{"name": "probabilities"}]
    alone = await client.post(INFER, json=v2_body(served.features[:64], outputs=once))
    assert len(body) == len(await alone.read())


async def test_repeated_outputs_keep_the_order_of_their_first_request(
    client: Client, served: Served
) -> None:
    names = ["probabilities", "label", "probabilities", "label"]
    request = v2_body(served.features[:1], outputs=[{"name": name} for name in names])
    result = await (await client.post(INFER, json=request)).json()
    assert [output["name"] for output in result["outputs"]] == ["probabilities", "label"]


async def test_an_empty_outputs_list_means_all_outputs_as_when_left_out(
    client: Client, served: Served
) -> None:
    left_out = await (await client.post(INFER, json=v2_body(served.features[:1]))).json()
    empty = await (await client.post(INFER, json=v2_body(served.features[:1], outputs=[]))).json()
    assert [output["name"] for output in empty["outputs"]] == ["label", "probabilities"]
    assert empty == left_out


@pytest.mark.parametrize(
    ("request_fields", "named"),
    [
        ({"id": None}, "'id' must be a string"),
        ({"outputs": None}, "'outputs' must be an array"),
        (
            {"outputs": [{"name": "label", "parameters": {"binary_data": "yes"}}]},
            "'binary_data' of output 'label' must be true or false, got 'yes'",
        ),
        (
            {"outputs": [{"name": "label", "parameters": {"binary_data": 1}}]},
            "'binary_data' of output 'label' must be true or false, got 1",
        ),
        (
            {"parameters": {"binary_data_output": "true"}},
            "'binary_data_output' of the request's parameters must be true or false",
        ),
    ],
    ids=["id null", "outputs null", "binary_data a string", "binary_data 1", "binary output"],
)
async def test_a_field_of_the_wrong_type_is_400_naming_it(
    client: Client, served: Served, request_fields: dict[str, Any], named: str
) -> None:
    response = await client.post(INFER, json=v2_body(served.features[:1], **request_fields))
    assert response.status == 400
    assert named in (await response.json())["error"]


async def test_a_huge_wrong_value_is_not_echoed_back(client: Client, served: Served) -> None:
    flag = "x" * 100_000
    request = v2_body(served.features[:1], parameters={"binary_data_output": flag})
    response = await client.post(INFER, json=request)
    assert response.status == 400
    assert len(await response.read()) < 300

"""One rule for numeric datatypes: any numeric data feed a numeric input when every value fits.

Data sent as UINT8 ... UINT64, INT8 ... INT64, FP16, BF16, FP32 or FP64 feed an input of any
of those datatypes, value by value: a floating input takes any value within its range
(rounded to the nearest it holds), an integer input whole numbers within its range. A value
that does not fit is a 400 naming it and its index; BOOL and BYTES feed only their own kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import orjson
import pytest
from aiohttp.test_utils import TestClient
from onnx import TensorProto, helper

from modelops.runtime import artifacts
from modelops.runtime.serve import tensors
from tests.serve.conftest import Served, StartClient

Client = TestClient[Any, Any]
INFER = "/v2/models/cancer/infer"
HEADER_LENGTH = "Inference-Header-Content-Length"

FLOATS = ["FP16", "BF16", "FP32", "FP64"]
NUMERIC = ["UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", *FLOATS]
NUMPY = {"BF16": np.uint16, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}

#: Whole, small, non-negative: every numeric datatype holds these rows exactly.
ROWS = np.round(np.abs(np.random.default_rng(0).normal(10, 5, (3, 30))))


def _entry(datatype: str, data: Any, shape: list[int] | None = None) -> dict[str, Any]:
    shape = shape if shape is not None else list(ROWS.shape)
    return {"name": "input", "shape": shape, "datatype": datatype, "data": data}


async def _outputs(response: Any) -> dict[str, Any]:
    assert response.status == 200, await response.text()
    return {out["name"]: out["data"] for out in (await response.json())["outputs"]}


@pytest.mark.parametrize("datatype", NUMERIC)
async def test_json_data_of_every_numeric_datatype_feed_an_fp32_input(
    client: Client, served: Served, datatype: str
) -> None:
    data = [int(v) for v in ROWS.reshape(-1)]
    if datatype in FLOATS:
        data = [float(v) for v in data]
    answer = await _outputs(await client.post(INFER, json={"inputs": [_entry(datatype, data)]}))
    assert answer["label"] == served.estimator.predict(ROWS.astype(np.float32)).tolist()


def _binary(datatype: str) -> bytes:
    if datatype == "BF16":  # the upper half of each float32
        return (ROWS.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
    return ROWS.astype(np.dtype(NUMPY.get(datatype, datatype.lower())).newbyteorder("<")).tobytes()


@pytest.mark.parametrize("datatype", NUMERIC)
async def test_binary_data_of_every_numeric_datatype_feed_an_fp32_input(
    client: Client, served: Served, datatype: str
) -> None:
    raw = _binary(datatype)
    entry = {**_entry(datatype, None), "parameters": {"binary_data_size": len(raw)}}
    del entry["data"]
    header = orjson.dumps({"inputs": [entry]})
    response = await client.post(
        INFER, data=header + raw, headers={HEADER_LENGTH: str(len(header))}
    )
    answer = await _outputs(response)
    assert answer["label"] == served.estimator.predict(ROWS.astype(np.float32)).tolist()


@pytest.mark.parametrize("allow_non_finite", [False, True], ids=["strict", "lenient"])
async def test_an_fp64_value_beyond_fp32_is_out_of_range_not_infinity(
    start_client: StartClient, served: Served, allow_non_finite: bool
) -> None:
    client = await start_client(served.config(allow_non_finite=allow_non_finite))
    data = [1.0] * 30 + [1.0] * 5 + [1e39] + [1.0] * 24
    response = await client.post(INFER, json={"inputs": [_entry("FP64", data, [2, 30])]})
    assert response.status == 400
    error = (await response.json())["error"]
    assert "value 1e+39 at index [1, 5] is out of the range of FP32" in error
    assert "infinity" not in error


async def test_a_value_beyond_its_own_datatype_is_out_of_range(client: Client) -> None:
    data = [1] * 29 + [300]
    response = await client.post(INFER, json={"inputs": [_entry("INT8", data, [1, 30])]})
    assert response.status == 400
    assert (
        "value 300 at index [0, 29] is out of the range of INT8" in (await response.json())["error"]
    )


async def test_bf16_is_a_datatype_the_server_knows(client: Client) -> None:
    response = await client.post(INFER, json={"inputs": [_entry("BF16", [1.5] * 30, [1, 30])]})
    assert response.status == 200, await response.text()


async def test_bool_data_cannot_feed_a_numeric_input(client: Client) -> None:
    response = await client.post(INFER, json={"inputs": [_entry("BOOL", [True] * 30, [1, 30])]})
    assert response.status == 400
    assert "has datatype FP32, got BOOL" in (await response.json())["error"]


@pytest.fixture
async def counts(start_client: StartClient, served: Served, artifact_dir: Path) -> Client:
    """A server for a model whose input is INT64 ("input", [-1, 2]), doubling it."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["input", "input"], ["doubled"])],
        "doubles",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [None, 2])],
        [helper.make_tensor_value_info("doubled", TensorProto.INT64, [None, 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    digest = artifacts.write_bytes(str(artifact_dir / artifacts.MODEL), model.SerializeToString())
    (artifact_dir / artifacts.REFERENCE).unlink()
    return await start_client(served.config(artifact_uri=artifact_dir.as_uri(), digest=digest))


@pytest.mark.parametrize("datatype", ["FP64", "FP32", "FP16", "UINT8", "INT32"])
async def test_whole_numbers_of_any_numeric_datatype_feed_an_integer_input(
    counts: Client, datatype: str
) -> None:
    response = await counts.post(INFER, json={"inputs": [_entry(datatype, [3, 4], [1, 2])]})
    assert (await _outputs(response))["doubled"] == [6, 8]


@pytest.mark.parametrize(
    ("datatype", "data", "problem"),
    [
        ("FP64", [1.0, 2.5], "value 2.5 at index [0, 1] is not a whole number, as INT64 needs"),
        ("FP32", [1.0, None], "value nan at index [0, 1] is not a whole number"),
        (
            "UINT64",
            [2**63, 1],
            "value 9223372036854775808 at index [0, 0] is out of the range of INT64",
        ),
    ],
    ids=["fraction", "null", "beyond INT64"],
)
async def test_a_value_an_integer_input_cannot_hold_is_named(
    counts: Client, datatype: str, data: list[Any], problem: str
) -> None:
    response = await counts.post(INFER, json={"inputs": [_entry(datatype, data, [1, 2])]})
    assert response.status == 400
    assert problem in (await response.json())["error"]


def test_an_integer_beyond_fp16_is_out_of_range_too() -> None:
    with pytest.raises(
        tensors.TensorError, match=r"value 70000 at index \[1\] is out of the range"
    ):
        tensors.convert("x", np.array([1, 70000], dtype=np.int32), "FP16")

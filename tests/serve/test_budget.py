"""One hostile but valid request can neither hold the server nor keep its memory.

The model expands each row into a 16 MiB tensor and runs it through twenty nodes: a
request of a few rows takes onnxruntime hundreds of milliseconds and hundreds of MiB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from onnx import TensorProto, helper

from modelops.runtime import artifacts
from tests.serve.conftest import Served, StartClient, v2_body

Client = TestClient[Any, Any]
INFER = "/v2/models/cancer/infer"
ROW_FLOATS = 1 << 22
NODES = 20


def _hostile_model() -> bytes:
    nodes = [helper.make_node("Expand", ["input", "shape"], ["t0"])]
    nodes += [helper.make_node("Mul", [f"t{i}", "one"], [f"t{i + 1}"]) for i in range(NODES)]
    nodes.append(helper.make_node("ReduceSum", [f"t{NODES}", "axes"], ["total"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "hostile",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("total", TensorProto.FLOAT, [None])],
        [
            helper.make_tensor("shape", TensorProto.INT64, [2], [1, ROW_FLOATS]),
            helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def _rows(count: int) -> dict[str, Any]:
    return {
        "inputs": [
            {"name": "input", "shape": [count, 1], "datatype": "FP32", "data": [1.0] * count}
        ]
    }


@pytest.fixture
def hostile(served: Served, artifact_dir: Path) -> Served:
    digest = artifacts.write_bytes(str(artifact_dir / artifacts.MODEL), _hostile_model())
    (artifact_dir / artifacts.REFERENCE).unlink()
    return Served(artifact_dir.as_uri(), digest, served.features, None, [])


def _resident_mib() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 >> 20


async def test_a_request_over_the_time_budget_is_504_and_the_server_keeps_serving(
    start_client: StartClient, hostile: Served
) -> None:
    client = await start_client(hostile.config(infer_timeout=0.05))
    assert (await client.post(INFER, json=_rows(1))).status in (200, 504)

    response = await client.post(INFER, json=_rows(16))
    assert response.status == 504
    error = (await response.json())["error"]
    assert "over its budget of 0.05 s" in error
    assert "--infer-timeout" in error
    assert (await client.get("/v2/health/ready")).status == 200
    metrics = await (await client.get("/metrics")).text()
    assert 'code="504"' in metrics


async def test_a_huge_request_gives_its_memory_back(
    start_client: StartClient, hostile: Served
) -> None:
    client = await start_client(hostile.config(infer_timeout=0))
    assert (await client.post(INFER, json=_rows(1))).status == 200
    before = _resident_mib()

    response = await client.post(INFER, json=_rows(8))  # 128 MiB per tensor, two alive at once
    assert response.status == 200
    assert (await response.json())["outputs"][0]["data"] == [float(ROW_FLOATS)] * 8
    assert _resident_mib() - before < 64


async def test_ordinary_requests_are_well_within_the_default_budget(
    client: Client, served: Served
) -> None:
    assert served.config().infer_timeout == 5.0
    response = await client.post(INFER, json=v2_body(served.features[:1024]))
    assert response.status == 200

"""Health and metadata endpoints answer as KServe, Triton and MLServer clients expect."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]


async def test_live_and_ready_once_loaded(client: Client) -> None:
    assert (await client.get("/v2/health/live")).status == 200
    ready = await client.get("/v2/health/ready")
    assert ready.status == 200
    assert (await client.get("/v2/models/cancer/ready")).status == 200
    assert (await client.get("/v2/models/cancer/versions/3/ready")).status == 200


async def test_server_metadata_names_the_server_and_its_extensions(client: Client) -> None:
    metadata = await (await client.get("/v2")).json()
    assert metadata["name"] == "modelops"
    assert metadata["version"]
    assert "binary_tensor_data" in metadata["extensions"]


@pytest.mark.parametrize("path", ["/v2/models/cancer", "/v2/models/cancer/versions/3"])
async def test_model_metadata_describes_inputs_and_outputs(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert await response.json() == {
        "name": "cancer",
        "versions": ["3"],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 30]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]},
        ],
    }


async def test_the_served_model_is_listed(client: Client) -> None:
    listed = await (await client.get("/v2/models")).json()
    assert listed == {"models": [{"name": "cancer", "version": "3", "state": "READY"}]}
    index = await (await client.post("/v2/repository/index")).json()
    assert index == [{"name": "cancer", "version": "3", "state": "READY"}]


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/v2/models/iris", "'iris'"),
        ("/v2/models/iris/ready", "'iris'"),
        ("/v2/models/cancer/versions/4", "'4'"),
        ("/v2/models/cancer/versions/4/ready", "'4'"),
    ],
)
async def test_an_unknown_model_or_version_is_404(client: Client, path: str, named: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert named in (await response.json())["error"]


@pytest.mark.parametrize("path", ["/v2/models/iris/infer", "/v2/models/cancer/versions/2/infer"])
async def test_inferring_on_an_unknown_model_or_version_is_404(client: Client, path: str) -> None:
    response = await client.post(path, json={"inputs": []})
    assert response.status == 404
    assert "error" in await response.json()


async def test_server_metadata_answers_on_the_path_the_specification_lists(
    client: Client,
) -> None:
    response = await client.get("/v2/")
    assert response.status == 200
    assert await response.json() == await (await client.get("/v2")).json()


@pytest.mark.parametrize("path", ["/", "/v1/models/cancer:predict", "/v2/modelz", "/v2/x/y/z"])
async def test_an_unknown_path_is_a_json_404(client: Client, path: str) -> None:
    response = await client.post(path, json={})
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "no such path" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v2/models/cancer/infer", "POST"),
        ("DELETE", "/v2/health/live", "GET, HEAD"),
        ("POST", "/v2", "GET, HEAD"),
        ("PUT", "/v2/models/cancer/versions/3", "GET, HEAD"),
    ],
)
async def test_a_wrong_method_is_a_json_405_saying_which_are_allowed(
    client: Client, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert response.status == 405
    assert response.headers["Allow"] == allowed
    assert f"use {allowed}" in (await response.json())["error"]

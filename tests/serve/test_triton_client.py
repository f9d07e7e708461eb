"""Triton's own HTTP client works unchanged, with its binary tensor defaults and without."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from tests.serve.conftest import Served

httpclient = pytest.importorskip("tritonclient.http")


def query(url: str, rows: np.ndarray) -> dict[str, Any]:
    client = httpclient.InferenceServerClient(url=url)
    try:
        inputs = httpclient.InferInput("input", list(rows.shape), "FP32")
        inputs.set_data_from_numpy(rows)
        binary = client.infer("cancer", [inputs], model_version="3", request_id="t1")
        json_input = httpclient.InferInput("input", list(rows.shape), "FP32")
        json_input.set_data_from_numpy(rows, binary_data=False)
        json_result = client.infer(
            "cancer",
            [json_input],
            outputs=[httpclient.InferRequestedOutput("probabilities", binary_data=False)],
        )
        return {
            "live": client.is_server_live(),
            "ready": client.is_model_ready("cancer", "3"),
            "metadata": client.get_model_metadata("cancer", "3"),
            "labels": binary.as_numpy("label"),
            "probabilities": binary.as_numpy("probabilities"),
            "id": binary.get_response()["id"],
            "json probabilities": json_result.as_numpy("probabilities"),
        }
    finally:
        client.close()


async def test_triton_client_reads_metadata_and_infers(
    client: TestClient[Any, Any], served: Served
) -> None:
    rows = served.features[10:42]
    url = f"127.0.0.1:{client.port}"
    result = await asyncio.to_thread(query, url, rows)
    assert result["live"] and result["ready"]
    assert result["metadata"]["platform"] == "onnxruntime_onnx"
    assert result["metadata"]["inputs"] == [
        {"name": "input", "datatype": "FP32", "shape": [-1, 30]}
    ]
    assert result["id"] == "t1"
    np.testing.assert_array_equal(result["labels"], served.estimator.predict(rows))
    expected = served.estimator.predict_proba(rows)
    np.testing.assert_allclose(result["probabilities"], expected, atol=1e-6)
    np.testing.assert_allclose(result["json probabilities"], expected, atol=1e-6)

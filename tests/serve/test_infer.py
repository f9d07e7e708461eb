"""Inference over V2 REST gives the scikit-learn model's own predictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from modelops.runtime.serve.app import LIFECYCLE
from tests.serve.conftest import Served

Client = TestClient[Any, Any]
Body = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
@pytest.mark.parametrize("rows", [1, 64])
async def test_predictions_equal_scikit_learns(
    client: Client, served: Served, body: Body, rows: int, nested: bool
) -> None:
    features = served.features[100 : 100 + rows]
    request = body(features)
    if nested:
        request["inputs"][0]["data"] = features.tolist()
    response = await client.post("/v2/models/cancer/infer", json=request)
    assert response.status == 200
    result = await response.json()
    outputs = {output["name"]: output for output in result["outputs"]}
    assert outputs["label"]["datatype"] == "INT64"
    assert outputs["label"]["shape"] == [rows]
    assert outputs["label"]["data"] == served.estimator.predict(features).tolist()
    assert outputs["probabilities"]["shape"] == [rows, 2]
    np.testing.assert_allclose(
        np.reshape(outputs["probabilities"]["data"], (rows, 2)),
        served.estimator.predict_proba(features),
        atol=1e-6,
    )
    assert result["model_name"] == "cancer"
    assert result["model_version"] == "3"


async def test_nested_fp64_data_and_the_versioned_url_work_too(
    client: Client, served: Served
) -> None:
    features = served.features[:2]
    request = {
        "id": "req-7",
        "inputs": [
            {
                "name": "input",
                "shape": [2, 30],
                "datatype": "FP64",
                "data": features.astype(np.float64).tolist(),
            }
        ],
        "outputs": [{"name": "label"}],
        "parameters": {"anything": 1},
    }
    response = await client.post("/v2/models/cancer/versions/3/infer", json=request)
    assert response.status == 200
    result = await response.json()
    assert result["id"] == "req-7"
    assert [output["name"] for output in result["outputs"]] == ["label"]
    assert result["outputs"][0]["data"] == served.estimator.predict(features).tolist()


async def test_a_request_without_content_type_is_served(client: Client, served: Served) -> None:
    import orjson

    from tests.serve.conftest import v2_body

    response = await client.post(
        "/v2/models/cancer/infer",
        data=orjson.dumps(v2_body(served.features[:1])),
        skip_auto_headers=["Content-Type"],
    )
    assert response.status == 200


async def test_a_draining_server_tells_clients_to_reconnect_elsewhere(
    client: Client, served: Served, body: Body
) -> None:
    request = body(served.features[:1])
    before = await client.post("/v2/models/cancer/infer", json=request)
    assert before.status == 200
    assert before.headers.get("Connection", "").lower() != "close"

    client.server.app[LIFECYCLE].begin_drain()

    # Accepted requests are still answered, each with "Connection: close" so that a
    # keep-alive client sends the next one to another replica.
    during = await client.post("/v2/models/cancer/infer", json=request)
    assert during.status == 200
    assert during.headers["Connection"].lower() == "close"
    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    assert ready.headers["Connection"].lower() == "close"

"""A real served model for the inference server's tests.

A 20-tree RandomForest on breast_cancer, exported by skl2onnx as the trainer does
(float32 "input", labels and probabilities without zipmap), with a reference profile
from the drift module and the sha256 digest of model.onnx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer

from modelops.drift import profile
from modelops.runtime import artifacts
from modelops.runtime.serve.app import create_app
from modelops.runtime.serve.config import ServeConfig

MODEL_NAME = "cancer"
VERSION = 3


@dataclass(frozen=True)
class Served:
    """A model's artifacts, and the scikit-learn model they were exported from."""

    uri: str
    digest: str
    features: np.ndarray
    estimator: Any
    feature_names: list[str]

    def config(self, **options: Any) -> ServeConfig:
        base = ServeConfig(
            model_name=MODEL_NAME,
            model_version=VERSION,
            artifact_uri=self.uri,
            digest=self.digest,
            drift_window=200,
        )
        return replace(base, **options)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    data = load_breast_cancer()
    features = data.data.astype(np.float32)
    estimator = RandomForestClassifier(n_estimators=20, random_state=0).fit(features, data.target)
    onnx_model = to_onnx(
        estimator,
        initial_types=[("input", FloatTensorType([None, features.shape[1]]))],
        final_types=[
            ("label", Int64TensorType([None])),
            ("probabilities", FloatTensorType([None, 2])),
        ],
        options={id(estimator): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    directory = tmp_path_factory.mktemp("artifacts")
    model_bytes = onnx_model.SerializeToString()
    digest = artifacts.write_bytes(str(directory / artifacts.MODEL), model_bytes)
    names = [str(name) for name in data.feature_names]
    reference = profile.build_reference({n: data.data[:, i] for i, n in enumerate(names)})
    artifacts.write_json(str(directory / artifacts.REFERENCE), reference.to_dict())
    return Served(directory.as_uri(), digest, features, estimator, names)


async def wait_loaded(client: TestClient[Any, Any]) -> None:
    """Until the server has finished loading (ready or failed)."""
    for _ in range(500):
        response = await client.get("/v2/models")
        state = (await response.json())["models"][0]["state"]
        if state != "LOADING":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the model did not finish loading")


StartClient = Callable[[ServeConfig], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def start_client() -> AsyncIterator[StartClient]:
    """Start a server for a config (on 127.0.0.1) and return a client once it has loaded."""
    clients: list[TestClient[Any, Any]] = []

    async def start(config: ServeConfig) -> TestClient[Any, Any]:
        client = TestClient(TestServer(create_app(config), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        await wait_loaded(client)
        return client

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
async def client(served: Served, start_client: StartClient) -> TestClient[Any, Any]:
    return await start_client(served.config())


def v2_body(rows: np.ndarray, **extra: Any) -> dict[str, Any]:
    return {
        "inputs": [
            {
                "name": "input",
                "shape": list(rows.shape),
                "datatype": "FP32",
                "data": rows.reshape(-1).tolist(),
            }
        ],
        **extra,
    }


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """A V2 infer body for rows of features."""
    return v2_body


@pytest.fixture
def artifact_dir(tmp_path: Path, served: Served) -> Path:
    """A private copy of the served artifacts, for tests that damage them."""
    source = Path(served.uri.removeprefix("file://"))
    for name in (artifacts.MODEL, artifacts.REFERENCE):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    return tmp_path

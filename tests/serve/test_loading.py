"""A model that fails its digest check or does not load is never served, and says why."""

from __future__ import annotations

from pathlib import Path

from modelops.runtime import artifacts
from tests.serve.conftest import Served, StartClient, v2_body


async def test_a_digest_mismatch_never_becomes_ready(
    start_client: StartClient, served: Served, artifact_dir: Path
) -> None:
    model = artifact_dir / artifacts.MODEL
    model.write_bytes(model.read_bytes() + b"tampered")
    client = await start_client(served.config(artifact_uri=artifact_dir.as_uri()))

    assert (await client.get("/v2/health/live")).status == 200
    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    reason = (await ready.json())["error"]
    assert "digest mismatch" in reason
    assert served.digest in reason
    assert (await client.get("/v2/models/cancer/ready")).status == 503
    infer = await client.post("/v2/models/cancer/infer", json=v2_body(served.features[:1]))
    assert infer.status == 503
    assert "digest mismatch" in (await infer.json())["error"]
    metadata = await client.get("/v2/models/cancer")
    assert metadata.status == 503
    listed = await (await client.get("/v2/models")).json()
    assert listed["models"][0]["state"] == "UNAVAILABLE"
    metrics = await (await client.get("/metrics")).text()
    assert 'modelops_model_ready{model="cancer",version="3"} 0.0' in metrics


async def test_bytes_that_are_not_onnx_are_refused_with_the_reason(
    start_client: StartClient, served: Served, artifact_dir: Path
) -> None:
    digest = artifacts.write_bytes(str(artifact_dir / artifacts.MODEL), b"not a model")
    client = await start_client(served.config(artifact_uri=artifact_dir.as_uri(), digest=digest))
    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    assert "not an ONNX model" in (await ready.json())["error"]


async def test_a_missing_model_is_refused_with_the_reason(
    start_client: StartClient, served: Served, tmp_path: Path
) -> None:
    client = await start_client(served.config(artifact_uri=tmp_path.as_uri()))
    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    assert "model.onnx" in (await ready.json())["error"]


async def test_without_a_reference_the_model_is_served_without_drift(
    start_client: StartClient, served: Served, artifact_dir: Path
) -> None:
    (artifact_dir / artifacts.REFERENCE).unlink()
    client = await start_client(served.config(artifact_uri=artifact_dir.as_uri()))
    assert (await client.get("/v2/health/ready")).status == 200
    infer = await client.post("/v2/models/cancer/infer", json=v2_body(served.features[:1]))
    assert infer.status == 200
    assert "modelops_drift_score" not in await (await client.get("/metrics")).text()


async def test_a_broken_reference_is_refused_with_the_reason(
    start_client: StartClient, served: Served, artifact_dir: Path
) -> None:
    (artifact_dir / artifacts.REFERENCE).write_text('{"format": "something else"}')
    client = await start_client(served.config(artifact_uri=artifact_dir.as_uri()))
    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    assert "reference" in (await ready.json())["error"]

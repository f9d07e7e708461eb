"""Sampled payloads land in the artifact store as JSON lines, one row per line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.serve.conftest import Served, StartClient, v2_body


def logged_rows(directory: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


async def test_payloads_are_flushed_in_batches_to_unique_files(
    start_client: StartClient, served: Served, tmp_path: Path
) -> None:
    config = served.config(
        payload_log_uri=tmp_path.as_uri(), payload_sample_rate=1.0, payload_flush_rows=8
    )
    client = await start_client(config)
    rows = served.features[:12]
    for start in range(0, 12, 4):
        response = await client.post(
            "/v2/models/cancer/infer", json=v2_body(rows[start : start + 4], id=f"r{start}")
        )
        assert response.status == 200
    await client.close()

    files = list(tmp_path.glob("cancer-v3-*.jsonl"))
    assert len(files) == 2
    logged = logged_rows(tmp_path)
    assert len(logged) == 12
    labels = served.estimator.predict(rows).tolist()
    by_request = sorted(logged, key=lambda row: (row["request_id"], row["row"]))  # type: ignore[arg-type, return-value]
    assert [row["outputs"]["label"] for row in by_request] == labels  # type: ignore[index]
    first = by_request[0]
    assert first["inputs"] == {"input": rows[0].tolist()}
    assert (first["model"], first["version"], first["request_id"]) == ("cancer", "3", "r0")


async def test_unsampled_requests_are_not_logged(
    start_client: StartClient, served: Served, tmp_path: Path
) -> None:
    config = served.config(payload_log_uri=tmp_path.as_uri(), payload_sample_rate=1e-9)
    client = await start_client(config)
    await client.post("/v2/models/cancer/infer", json=v2_body(served.features[:4]))
    await client.close()
    assert logged_rows(tmp_path) == []

"""/metrics shows what an operator and a dashboard need: traffic, predictions, drift."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import Served, StartClient, v2_body

INFER = "/v2/models/cancer/infer"


async def scrape(client: TestClient[Any, Any]) -> dict[tuple[str, frozenset[Any]], float]:
    text = await (await client.get("/metrics")).text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**extra: str) -> frozenset[tuple[str, str]]:
    return frozenset({"model": "cancer", "version": "3", **extra}.items())


async def test_requests_are_counted_by_status_code(
    start_client: StartClient, served: Served
) -> None:
    client = await start_client(served.config())
    for _ in range(3):
        assert (await client.post(INFER, json=v2_body(served.features[:4]))).status == 200
    assert (await client.post(INFER, json={"inputs": "no"})).status == 400
    samples = await scrape(client)
    assert samples["modelops_requests_total", labels(code="200")] == 3
    assert samples["modelops_requests_total", labels(code="400")] == 1
    assert samples["modelops_request_duration_seconds_count", labels()] == 4
    assert samples["modelops_batch_size_count", labels()] == 3
    assert samples["modelops_batch_size_sum", labels()] == 12
    assert samples["modelops_rows_total", labels()] == 12
    assert samples["modelops_model_ready", labels()] == 1
    assert samples["modelops_model_info", labels(digest=served.digest)] == 1


async def test_predicted_classes_are_counted(start_client: StartClient, served: Served) -> None:
    client = await start_client(served.config())
    rows = served.features[:50]
    await client.post(INFER, json=v2_body(rows))
    await client.post(INFER, json=v2_body(rows[:1]))
    expected = np.bincount(served.estimator.predict(rows), minlength=2)
    expected[served.estimator.predict(rows[:1])[0]] += 1
    samples = await scrape(client)
    assert samples["modelops_predictions_total", labels(**{"class": "0"})] == expected[0]
    assert samples["modelops_predictions_total", labels(**{"class": "1"})] == expected[1]


async def test_drift_is_exported_per_feature_and_rises_when_a_feature_shifts(
    start_client: StartClient, served: Served
) -> None:
    client = await start_client(served.config(drift_window=200))
    rows = served.features[:200]
    for start in range(0, 200, 20):
        await client.post(INFER, json=v2_body(rows[start : start + 20]))
    calm = await scrape(client)
    assert calm["modelops_drift_rows", labels()] == 200
    assert calm["modelops_drift_overall", labels()] < 1.0
    assert calm["modelops_drift_drifted_features", labels()] == 0

    shifted = rows.copy()
    shifted[:, 0] += 10 * rows[:, 0].std()
    for start in range(0, 200, 20):
        await client.post(INFER, json=v2_body(shifted[start : start + 20]))
    drifted = await scrape(client)
    feature = labels(feature=served.feature_names[0])
    assert drifted["modelops_drift_score", feature] >= 1.0
    assert drifted["modelops_drift_score", feature] > calm["modelops_drift_score", feature]
    assert drifted["modelops_drift_overall", labels()] >= 1.0
    assert drifted["modelops_drift_drifted_features", labels()] >= 1
    assert len([key for key in drifted if key[0] == "modelops_drift_score"]) == 30


async def test_no_drift_turns_drift_metrics_off(start_client: StartClient, served: Served) -> None:
    client = await start_client(served.config(drift=False))
    await client.post(INFER, json=v2_body(served.features[:4]))
    text = await (await client.get("/metrics")).text()
    assert not re.search(r"^modelops_drift", text, re.MULTILINE)
    assert "modelops_requests_total" in text


async def test_two_servers_in_one_process_count_separately(
    start_client: StartClient, served: Served
) -> None:
    first = await start_client(served.config())
    second = await start_client(served.config())
    await first.post(INFER, json=v2_body(served.features[:1]))
    assert ("modelops_requests_total", labels(code="200")) not in await scrape(second)


def test_class_counts_are_exact_for_every_kind_of_label() -> None:
    from collections import Counter

    from modelops.runtime.serve.metrics import ServingMetrics

    batches = [
        np.array([0, 1, 1, 3, 0, 1], dtype=np.int64),  # class indices: the counting path
        np.array([-2, 5, -2], dtype=np.int64),  # negative labels
        np.array([10**9, 7, 10**9], dtype=np.int64),  # a label too large to count densely
        np.array(["cat", "dog", "cat"], dtype=object),
        np.array([], dtype=np.int64),
        np.array([[1], [1]], dtype=np.int64),  # a [batch, 1] output
    ]
    metrics = ServingMetrics("m", "1", "sha256:x")
    for batch in batches:
        metrics.observe_classes(batch)
    counted = {
        sample.labels["class"]: sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
        if sample.name == "modelops_predictions_total"
    }
    expected = Counter(str(v) for batch in batches for v in batch.reshape(-1).tolist())
    assert counted == {label: float(n) for label, n in expected.items()}

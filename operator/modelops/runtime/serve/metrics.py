"""Prometheus metrics of one inference server, in a registry of its own.

Nothing is registered at import time: :class:`ServingMetrics` builds a fresh
``CollectorRegistry`` per application, so tests and several apps in one process never
share counters. Children are bound once, so a request costs a few attribute lookups.

Exported (every series has ``model`` and ``version`` labels):

- ``modelops_requests_total{code}``: infer requests by HTTP status code.
- ``modelops_request_duration_seconds``: histogram of infer latency, body read to response.
- ``modelops_batch_size``: histogram of rows per infer request.
- ``modelops_rows_total``: rows inferred.
- ``modelops_predictions_total{class}``: predicted classes (classifiers).
- ``modelops_prediction_value``: histogram of predicted values (regressors).
- ``modelops_model_info{digest}``: 1, labelled with the served model's digest.
- ``modelops_model_ready``: 1 when the model is loaded and the server ready, else 0.
- ``modelops_drift_score{feature}``, ``modelops_drift_overall``, ``modelops_drift_rows``,
  ``modelops_drift_drifted_features``: drift against the reference, computed at scrape
  time by :mod:`modelops.runtime.serve.driftfeed`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from modelops.runtime.contract import LABEL
from modelops.runtime.serve.blocks import Blocks
from modelops.runtime.serve.model import TensorSpec

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)
#: Symmetric, logarithmic: regression targets come in every scale.
VALUE_BUCKETS = tuple(
    sorted({sign * 10.0**power for sign in (-1, 1) for power in range(-2, 7)} | {0.0})
)

CLASS_TYPES = frozenset(
    {"BOOL", "BYTES", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
)
VALUE_TYPES = frozenset({"FP16", "FP32", "FP64"})
#: Predicted rows counted at once.
FOLD_ROWS = 4096


def prediction_output(outputs: Mapping[str, TensorSpec]) -> tuple[str, str] | None:
    """Which output holds the prediction, and whether it is a ``class`` or a ``value``.

    The trainer names a classifier's labels "label" and a regressor's one output
    "variable"; an imported model is read by datatype: the first integer or string output is
    a label, else a float output of one value per row is a regression.
    """
    label = outputs.get(LABEL)
    if label is not None and label.datatype in CLASS_TYPES:
        return label.name, "class"
    for spec in outputs.values():
        if spec.datatype in CLASS_TYPES:
            return spec.name, "class"
    for spec in outputs.values():
        if spec.datatype in VALUE_TYPES and spec.shape[1:] in ((), (1,)):
            return spec.name, "value"
    return None


class ServingMetrics:
    """The collectors of one server, bound to its model name and version.

    The per-request series are plain counters in :class:`_Counts`, exported at scrape time:
    the event loop is the only writer, so they need none of prometheus-client's locks, and
    a request's bookkeeping costs about a microsecond instead of a dozen.
    """

    def __init__(self, model: str, version: str, digest: str) -> None:
        self.registry = CollectorRegistry()
        self._counts = _Counts([model, version])
        self.registry.register(self._counts)
        labels = ("model", "version")
        Gauge(
            "modelops_model_info",
            "The served model; the value is always 1.",
            (*labels, "digest"),
            registry=self.registry,
        ).labels(model, version, digest).set(1)
        self._ready = Gauge(
            "modelops_model_ready",
            "1 when the model is loaded and the server is ready.",
            labels,
            registry=self.registry,
        ).labels(model, version)

    def observe_request(self, status: int, seconds: float) -> None:
        counts = self._counts
        counts.codes[status] = counts.codes.get(status, 0) + 1
        counts.latency.observe(seconds)

    def observe_batch(self, rows: int) -> None:
        self._counts.batch.observe(rows)

    def observe_classes(self, labels: np.ndarray) -> None:
        self._counts.pending_classes.add(labels.reshape(-1))

    def observe_values(self, values: np.ndarray) -> None:
        self._counts.pending_values.add(values.reshape(-1))

    def set_ready(self, ready: bool) -> None:
        self._ready.set(1 if ready else 0)

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Histogram:
    """Cumulative-on-export bucket counts; ``observe`` is one bisect."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = list(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def observe_many(self, values: np.ndarray) -> None:
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        flat = flat[np.isfinite(flat)]
        slots = np.searchsorted(self.bounds, flat, side="left")
        for slot, count in enumerate(np.bincount(slots, minlength=len(self.counts)).tolist()):
            self.counts[slot] += count
        self.sum += float(flat.sum())

    def family(self, name: str, documentation: str, labels: list[str]) -> Metric:
        family = HistogramMetricFamily(name, documentation, labels=["model", "version"])
        if any(self.counts):
            bounds = [*map(str, self.bounds), "+Inf"]
            cumulative = list(itertools.accumulate(self.counts))
            family.add_metric(labels, list(zip(bounds, cumulative, strict=True)), self.sum)
        return family


class _Counts(Collector):
    """Per-request series of one server, counted in plain Python and exported on scrape."""

    def __init__(self, labels: list[str]) -> None:
        self._labels = labels
        self.codes: dict[int, int] = {}
        self.classes: dict[object, int] = {}
        self.latency = _Histogram(LATENCY_BUCKETS)
        self.batch = _Histogram(BATCH_BUCKETS)
        self.values = _Histogram(VALUE_BUCKETS)
        # Predictions are counted in blocks (see ``blocks``), not one request at a time.
        self.pending_classes = Blocks(self._count_classes, FOLD_ROWS)
        self.pending_values = Blocks(self.values.observe_many, FOLD_ROWS)

    def _count_classes(self, block: np.ndarray) -> None:
        values, counts = np.unique(block, return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            self.classes[value] = self.classes.get(value, 0) + count

    def collect(self) -> Iterator[Metric]:
        self.pending_classes.flush()
        self.pending_values.flush()
        labels = self._labels
        requests = CounterMetricFamily(
            "modelops_requests",
            "Infer requests by HTTP status code.",
            labels=["model", "version", "code"],
        )
        for code, count in sorted(self.codes.items()):
            requests.add_metric([*labels, str(code)], count)
        yield requests
        yield self.latency.family(
            "modelops_request_duration_seconds",
            "Latency of infer requests, body read to response.",
            labels,
        )
        yield self.batch.family("modelops_batch_size", "Rows per infer request.", labels)
        rows = CounterMetricFamily("modelops_rows", "Rows inferred.", labels=["model", "version"])
        rows.add_metric(labels, self.batch.sum)
        yield rows
        predictions = CounterMetricFamily(
            "modelops_predictions", "Predicted classes.", labels=["model", "version", "class"]
        )
        for value, count in self.classes.items():
            predictions.add_metric([*labels, str(value)], count)
        yield predictions
        yield self.values.family("modelops_prediction_value", "Predicted values.", labels)

"""Feeds served rows to the drift monitor and exports its report at scrape time.

Per request, the rows are only appended to a buffer (a list append per input, see
``blocks``), so drift costs next to nothing on the hot path; the buffer goes to
``DriftMonitor.observe`` in blocks, and the report, the expensive part, is computed when
Prometheus scrapes. The monitor keeps its own sliding window, so feeding it in blocks
gives the same report as feeding it row by row.

Which inputs are which features: the trainer's contract is one FP32 input with the numeric
features as columns in the reference's ``numeric_features`` order, and one BYTES input per
categorical feature, named by the column. An imported model is matched the same way: a 2-D
float input as wide as the reference's numeric features, and BYTES inputs named like its
categorical features.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from modelops.drift import detector, profile
from modelops.runtime.contract import NUMERIC_INPUT
from modelops.runtime.serve.blocks import Blocks
from modelops.runtime.serve.model import Model

log = logging.getLogger(__name__)

#: Buffered rows that trigger a hand-over to the monitor between scrapes.
BLOCK_ROWS = 256


class DriftFeed(Collector):
    """Buffers served rows for a :class:`detector.DriftMonitor`; a Prometheus collector."""

    def __init__(
        self, reference: Mapping[str, Any], window: int, model: Model, labels: tuple[str, str]
    ) -> None:
        ref = profile.Reference.from_dict(dict(reference))
        self._monitor = detector.DriftMonitor(ref, window)
        self._labels = list(labels)
        numeric = list(ref.numeric_features)
        self._numeric_input = _numeric_input(model, len(numeric)) if numeric else None
        categorical = set(ref.categorical_features)
        self._categorical_inputs = [
            spec.name
            for spec in model.inputs.values()
            if spec.datatype == "BYTES" and spec.name in categorical
        ]
        if numeric and self._numeric_input is None:
            log.warning(
                "no FP32/FP64 input of width %d matches the reference's numeric features; "
                "numeric drift is not observed",
                len(numeric),
            )
        self._numeric = Blocks(self._observe_numeric, BLOCK_ROWS)
        self._categorical = {
            name: Blocks(functools.partial(self._observe_categorical, name), BLOCK_ROWS)
            for name in self._categorical_inputs
        }

    def observe(self, inputs: Mapping[str, np.ndarray]) -> None:
        """Remember the rows of one request (cheap; the monitor sees them later)."""
        if self._numeric_input is not None:
            self._numeric.add(inputs[self._numeric_input])
        for name, blocks in self._categorical.items():
            blocks.add(inputs[name])

    def _observe_numeric(self, block: np.ndarray) -> None:
        self._monitor.observe(block.astype(np.float64, copy=False))

    def _observe_categorical(self, name: str, block: np.ndarray) -> None:
        self._monitor.observe_categorical(name, block.reshape(-1).tolist())

    def report(self) -> detector.DriftReport:
        self._numeric.flush()
        for blocks in self._categorical.values():
            blocks.flush()
        return self._monitor.report()

    def collect(self) -> Iterator[Metric]:
        report = self.report()
        labels = ["model", "version"]
        score = GaugeMetricFamily(
            "modelops_drift_score",
            "Drift of one feature against the reference (1.0 is the alarm level).",
            labels=[*labels, "feature"],
        )
        for feature, value in report.features.items():
            score.add_metric([*self._labels, feature], value)
        yield score
        overall = GaugeMetricFamily(
            "modelops_drift_overall",
            "Overall drift against the reference (1.0 is the alarm level).",
            labels=labels,
        )
        overall.add_metric(self._labels, report.overall)
        yield overall
        rows = GaugeMetricFamily("modelops_drift_rows", "Rows in the drift window.", labels=labels)
        rows.add_metric(self._labels, report.rows)
        yield rows
        drifted = GaugeMetricFamily(
            "modelops_drift_drifted_features",
            "Features whose drift is above the alarm level.",
            labels=labels,
        )
        drifted.add_metric(self._labels, len(report.drifted))
        yield drifted


def _numeric_input(model: Model, width: int) -> str | None:
    candidates = [
        spec.name
        for spec in model.inputs.values()
        if spec.datatype in ("FP32", "FP64") and len(spec.shape) == 2 and spec.shape[1] == width
    ]
    if NUMERIC_INPUT in candidates:
        return NUMERIC_INPUT
    return candidates[0] if candidates else None

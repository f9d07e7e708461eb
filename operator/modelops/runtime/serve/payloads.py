"""Sampled payload logging: request rows and their predictions, for labeling and retraining.

A sampled request costs a list append on the request path. Buffered records are written
as JSON-lines files (one line per row, a new uniquely named file per flush) to the
artifact store by an executor thread, when ``flush_rows`` rows are buffered or
``flush_seconds`` have passed, and once more on shutdown. A failed write is logged and its
records dropped: payload logs must never take serving down, nor grow memory without bound.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from modelops.runtime import artifacts

log = logging.getLogger(__name__)

#: Buffered rows, in multiples of flush_rows, beyond which samples are dropped (writes lag).
MAX_PENDING_FLUSHES = 10


@dataclass(frozen=True)
class _Record:
    time: float
    request_id: str | None
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]
    rows: int


class PayloadLogger:
    """Samples requests and appends their rows to files under ``uri``."""

    def __init__(
        self,
        uri: str,
        sample_rate: float,
        flush_rows: int,
        flush_seconds: float,
        labels: tuple[str, str],
        write: Callable[[str, bytes], object] = artifacts.write_bytes,
    ) -> None:
        self._uri = uri
        self._sample_rate = sample_rate
        self._flush_rows = flush_rows
        self._flush_seconds = flush_seconds
        self._model, self._version = labels
        self._write = write
        self._records: list[_Record] = []
        self._rows = 0
        self._dropped = 0
        self._writes: set[asyncio.Future[None]] = set()
        self._timer: asyncio.Task[None] | None = None
        self._prefix = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self._sequence = 0

    def start(self) -> None:
        self._timer = asyncio.get_running_loop().create_task(self._flush_periodically())

    def maybe_log(
        self,
        request_id: str | None,
        inputs: Mapping[str, np.ndarray],
        outputs: Mapping[str, np.ndarray],
        rows: int,
    ) -> None:
        """Keep this request's payload with probability ``sample_rate``."""
        if random.random() >= self._sample_rate:
            return
        if self._rows >= self._flush_rows * MAX_PENDING_FLUSHES:
            self._dropped += rows
            return
        self._records.append(_Record(time.time(), request_id, inputs, outputs, rows))
        self._rows += rows
        if self._rows >= self._flush_rows:
            self.flush()

    def flush(self) -> None:
        """Hand the buffered records to a writer thread (non-blocking)."""
        if not self._records:
            return
        records, self._records, self._rows = self._records, [], 0
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{self._model}-v{self._version}-{stamp}-{self._prefix}-{self._sequence:06d}.jsonl"
        uri = artifacts.join(self._uri, name)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self._write_file, uri, records)
        self._writes.add(future)
        future.add_done_callback(self._writes.discard)

    def _write_file(self, uri: str, records: list[_Record]) -> None:
        try:
            self._write(uri, _jsonl(records, self._model, self._version))
        except Exception:
            log.exception("could not write payload log %s; %d records dropped", uri, len(records))

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            self.flush()
            if self._dropped:
                log.warning("payload logging fell behind; dropped %d rows", self._dropped)
                self._dropped = 0

    async def close(self) -> None:
        """Write what is buffered and wait for every write to finish."""
        if self._timer is not None:
            self._timer.cancel()
        self.flush()
        if self._writes:
            await asyncio.gather(*self._writes)


def _jsonl(records: list[_Record], model: str, version: str) -> bytes:
    lines = []
    for record in records:
        stamp = datetime.fromtimestamp(record.time, UTC).isoformat()
        for row in range(record.rows):
            line: dict[str, Any] = {
                "time": stamp,
                "model": model,
                "version": version,
                "request_id": record.request_id,
                "row": row,
                "inputs": {name: _row(array, row) for name, array in record.inputs.items()},
                "outputs": {name: _row(array, row) for name, array in record.outputs.items()},
            }
            lines.append(orjson.dumps(line, option=orjson.OPT_SERIALIZE_NUMPY))
    return b"\n".join(lines) + b"\n"


def _row(array: np.ndarray, row: int) -> Any:
    value = array[row] if array.ndim else array
    return value.tolist() if isinstance(value, np.ndarray) else np.asarray(value).tolist()

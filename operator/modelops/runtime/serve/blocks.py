"""Arrays appended on the hot path and handed on in blocks, so numpy is paid per block.

A request only appends its array (a list append); every ``rows`` rows, and whenever the
reader asks (a scrape), the block is concatenated along its first axis and handed to
``fold`` at once. Drift monitoring and prediction counting both keep their per-request
cost this way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Blocks:
    """A buffer of same-dtype arrays, handed to ``fold`` as one array every ``rows`` rows."""

    def __init__(self, fold: Callable[[np.ndarray], None], rows: int) -> None:
        self._fold = fold
        self._limit = rows
        self._arrays: list[np.ndarray] = []
        self._rows = 0

    def add(self, values: np.ndarray) -> None:
        if self._arrays and values.dtype != self._arrays[0].dtype:
            self.flush()  # one block, one dtype: never a mix of numbers and strings
        self._arrays.append(values)
        self._rows += len(values)
        if self._rows >= self._limit:
            self.flush()

    def flush(self) -> None:
        if self._arrays:
            block = np.concatenate(self._arrays)
            self._arrays.clear()
            self._rows = 0
            self._fold(block)

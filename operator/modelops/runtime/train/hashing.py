"""Row hashes of training data, so the scanner can find holdout rows the model trained on.

The trainer saves the hash of every training row (``train_row_hashes.npy``); the
scanner hashes the holdout rows with the same function and counts the matches. Both
import ``row_hashes`` from here, so a row is hashed one way only.

How a row is hashed, column by column in the table's order:

* a numeric value ``v`` is the 64 bits of its float64 (-0.0 as 0.0, every NaN as
  one NaN);
* a categorical value ``v`` is the first 8 bytes, little-endian, of blake2b over the
  UTF-8 bytes of its string (a missing one as ``""``);
* the row's running hash ``h``, starting at 0, becomes
  ``(h ^ v ^ (v >> 32)) * 0x9E3779B97F4A7C15`` modulo 2**64;
* the row's hash is the splitmix64 finalizer of ``h``.

Everything is vectorised with numpy (a few passes per column: a million rows of
twenty features hash in a fraction of a second); strings are hashed once per
distinct value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelops.runtime.train import columns

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def row_hashes(table: pa.Table, categorical: Collection[str] = ()) -> np.ndarray:
    """One uint64 per row of ``table``, over all of its columns in order.

    Pass only the feature columns (``table.select(names)``) in the manifest's feature
    order, and the names of the categorical ones.
    """
    hashes = np.zeros(table.num_rows, dtype=np.uint64)
    for name in table.column_names:
        column = table.column(name)
        if name in categorical:
            values = _string_hashes(column)
        else:
            values = _float_bits(columns.numeric_values(column))
        hashes ^= values
        values >>= np.uint64(32)
        hashes ^= values
        hashes *= _GOLDEN
    return _splitmix64(hashes)


def _float_bits(values: np.ndarray) -> np.ndarray:
    canonical = np.ascontiguousarray(values, dtype="<f8") + 0.0  # a copy, and -0.0 -> 0.0
    missing = np.isnan(canonical)
    if missing.any():
        canonical[missing] = np.nan
    return canonical.view("<u8").astype(np.uint64, copy=False)


def _string_hashes(column: pa.ChunkedArray) -> np.ndarray:
    strings = columns.categorical_strings(column)
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    combined = pc.dictionary_encode(strings)
    dictionary = combined.dictionary.to_pylist()
    per_value = np.array(
        [
            int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little")
            for v in dictionary
        ],
        dtype=np.uint64,
    )
    indices = combined.indices.to_numpy(zero_copy_only=False)
    hashed: np.ndarray = per_value[indices]
    return hashed


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, in place."""
    x ^= x >> np.uint64(30)
    x *= _MIX_1
    x ^= x >> np.uint64(27)
    x *= _MIX_2
    x ^= x >> np.uint64(31)
    return x

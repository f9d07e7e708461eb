"""V2 tensors <-> numpy arrays: datatypes, JSON and binary data, element counts.

The Open Inference Protocol names datatypes (FP32, INT64, BYTES, ...) and carries tensor
data either as JSON arrays (flat or nested, row-major) or, with Triton's binary tensor
data extension, as raw little-endian bytes after the JSON header. This module converts
between those and numpy, and raises :class:`TensorError` with a message a client can act
on for anything that does not fit.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import simdjson

#: V2 datatype -> numpy dtype (BYTES travel as Python str objects, as onnxruntime wants).
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(np.object_),
}

FLOATS = frozenset({"FP16", "FP32", "FP64"})
INTEGERS = frozenset({"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"})

#: numpy kinds that JSON data may decode to, per kind of target datatype.
_JSON_KINDS = {"f": "fiub", "i": "iu", "u": "iu", "b": "b"}

_LENGTH = struct.Struct("<I")


class TensorError(ValueError):
    """Tensor data that cannot become the array it claims to be; the message is for clients."""


def element_count(shape: Sequence[int]) -> int:
    return math.prod(shape)


def compatible(requested: str, expected: str) -> bool:
    """Whether data sent as ``requested`` may feed an input of datatype ``expected``.

    Floats convert among themselves (JSON numbers have no width; Triton accepts FP64 data
    for FP32 inputs too); everything else must match exactly.
    """
    return requested == expected or (requested in FLOATS and expected in FLOATS)


def from_json(name: str, data: Any, shape: Sequence[int], datatype: str) -> np.ndarray:
    """The array of ``datatype`` and ``shape`` holding JSON ``data`` (flat or nested).

    ``data`` is a list, or a simdjson array: numbers of one kind, flat or nested regularly,
    then go straight into a buffer; anything else (nulls, booleans, strings, ragged nesting)
    takes the list path below, which also words the errors.
    """
    dtype = NUMPY_DTYPES[datatype]
    if isinstance(data, simdjson.Array):
        fast = from_tape(data, shape, dtype)
        if fast is not None:
            return fast
        data = data.as_list()
    if not isinstance(data, list):
        raise TensorError(f"input '{name}': data must be a JSON array")
    try:
        array = np.asarray(data, dtype=object) if dtype.kind == "O" else np.asarray(data)
    except (ValueError, TypeError) as error:
        raise TensorError(f"input '{name}': data is not a regular array ({error})") from None
    if array.size != element_count(shape):
        raise TensorError(
            f"input '{name}': shape {list(shape)} needs {element_count(shape)} values, "
            f"data has {array.size}"
        )
    if dtype.kind == "O":
        if not all(type(value) is str for value in array.flat):
            raise TensorError(f"input '{name}': BYTES data must be strings")
        return array.reshape(shape)
    if dtype.kind == "f" and array.dtype.kind == "O":
        array = _nulls_as_nan(name, array)
    if array.size and array.dtype.kind not in _JSON_KINDS[dtype.kind]:
        raise TensorError(f"input '{name}': data are not {datatype} values")
    if dtype.kind in "iu" and array.size:
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            raise TensorError(f"input '{name}': values out of the range of {datatype}")
    return array.astype(dtype, copy=False).reshape(shape)


#: numpy kind of the target -> simdjson buffer type that holds its JSON numbers exactly.
_TAPE_TYPES: dict[str, Literal["d", "i", "u"]] = {"f": "d", "i": "i", "u": "u"}
_BUFFER_DTYPES = {"d": np.dtype("<f8"), "i": np.dtype("<i8"), "u": np.dtype("<u8")}


def from_tape(
    data: simdjson.Array, shape: Sequence[int], dtype: np.dtype[Any]
) -> np.ndarray | None:
    """``data`` as an array when it is regular and all of one numeric kind, else None.

    Regularity is checked from lengths and first elements, not value by value: a
    one-element array standing where a later number belongs (``[1.0, [2.0]]``) reads as
    that number, where the list path would refuse it. Nothing else differs.
    """
    kind = _TAPE_TYPES.get(dtype.kind)
    nested = len(data) > 0 and isinstance(data[0], simdjson.Array)
    if kind is None or (nested and not _regular(data, shape)):
        return None
    try:
        values = np.frombuffer(data.as_buffer(of_type=kind), dtype=_BUFFER_DTYPES[kind])
    except (TypeError, ValueError):  # mixed kinds, null, or an integer out of int64/uint64
        return None
    # as_buffer flattens any nesting; flat data must not have had any.
    if values.size != element_count(shape) or (not nested and values.size != len(data)):
        return None
    if dtype.kind in "iu" and values.size:
        info = np.iinfo(dtype)
        if values.min() < info.min or values.max() > info.max:
            return None
    return values.astype(dtype).reshape(shape)


def _regular(data: simdjson.Array, shape: Sequence[int]) -> bool:
    """Whether nested ``data`` has ``shape``'s depth and its lengths at every level."""
    level = [data]
    for depth, dim in enumerate(shape):
        if any(len(array) != dim for array in level):
            return False
        if depth == len(shape) - 1:  # the rows: numbers, not arrays
            return not (len(level[0]) and isinstance(level[0][0], simdjson.Array))
        children = [child for array in level for child in array]
        level = [child for child in children if isinstance(child, simdjson.Array)]
        if len(level) != len(children):
            return False
    return False


def _nulls_as_nan(name: str, array: np.ndarray) -> np.ndarray:
    """JSON has no NaN; serialisers write null for it (pandas does), so null reads as NaN."""
    if not all(value is None or type(value) in (int, float, bool) for value in array.flat):
        raise TensorError(f"input '{name}': data are not numbers")
    return array.astype(np.float64)


def from_binary(name: str, raw: bytes, shape: Sequence[int], datatype: str) -> np.ndarray:
    """The array of ``datatype`` and ``shape`` in ``raw`` (binary tensor data extension)."""
    count = element_count(shape)
    if datatype == "BYTES":
        values = _split_bytes(name, raw)
        if len(values) != count:
            raise TensorError(
                f"input '{name}': shape {list(shape)} needs {count} values, data has {len(values)}"
            )
        return np.array(values, dtype=object).reshape(shape)
    dtype = NUMPY_DTYPES[datatype].newbyteorder("<")
    if len(raw) != count * dtype.itemsize:
        raise TensorError(
            f"input '{name}': shape {list(shape)} of {datatype} needs "
            f"{count * dtype.itemsize} bytes, got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _split_bytes(name: str, raw: bytes) -> list[str]:
    values: list[str] = []
    offset = 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise TensorError(f"input '{name}': truncated BYTES element length")
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + length > len(raw):
            raise TensorError(f"input '{name}': BYTES element longer than the data")
        try:
            values.append(raw[offset : offset + length].decode())
        except UnicodeDecodeError:
            raise TensorError(f"input '{name}': BYTES element is not UTF-8") from None
        offset += length
    return values


def to_json(array: np.ndarray) -> Any:
    """Flat data of ``array`` that orjson serialises (numpy arrays natively, strings as lists)."""
    if array.dtype.kind == "O":
        return [_text(value) for value in array.flat]
    if array.dtype == np.float16:
        array = array.astype(np.float32)
    return np.ascontiguousarray(array).reshape(-1)


def to_binary(array: np.ndarray) -> bytes:
    """``array`` as the binary tensor data extension lays it out."""
    if array.dtype.kind == "O":
        parts = []
        for value in array.flat:
            encoded = value if isinstance(value, bytes) else str(value).encode()
            parts.append(_LENGTH.pack(len(encoded)))
            parts.append(encoded)
        return b"".join(parts)
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)

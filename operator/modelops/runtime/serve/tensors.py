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

#: Every datatype the protocol names, in its order. BF16 has no numpy dtype: its data
#: decode to float32, which holds every bfloat16 value exactly. No model input is BF16
#: (``model.V2_DATATYPES`` has none), so BF16 is only ever data for another datatype.
DATATYPES = (
    *("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"),
    *("FP16", "BF16", "FP32", "FP64", "BYTES"),
)

FLOATS = frozenset({"FP16", "BF16", "FP32", "FP64"})
INTEGERS = frozenset({"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"})
NUMERIC = FLOATS | INTEGERS

#: numpy kinds that JSON data may decode to, per kind of target datatype.
_JSON_KINDS = {"f": "fiub", "i": "iu", "u": "iu", "b": "b"}

_LENGTH = struct.Struct("<I")


class TensorError(ValueError):
    """Tensor data that cannot become the array it claims to be; the message is for clients."""


def element_count(shape: Sequence[int]) -> int:
    return math.prod(shape)


def compatible(requested: str, expected: str) -> bool:
    """Whether data sent as ``requested`` may feed an input of datatype ``expected``.

    The rule, one for every numeric datatype: data of any numeric datatype feed any
    numeric input, converted value by value (:func:`convert`), as long as every value
    fits the input's datatype. BOOL and BYTES feed only inputs of their own datatype.
    """
    return requested == expected or (requested in NUMERIC and expected in NUMERIC)


def direct(requested: str, expected: str) -> bool:
    """Whether JSON data sent as ``requested`` may be decoded straight into ``expected``.

    True where that gives the same values as decoding as ``requested`` and converting:
    the same datatype, or FP64 (every JSON number is one) for a floating input. The
    plain-request shortcut takes only these.
    """
    return requested == expected or (requested == "FP64" and expected in FLOATS)


def decoded_dtype(datatype: str) -> np.dtype[Any]:
    """The numpy dtype that data sent as ``datatype`` decode to."""
    return _FLOAT32 if datatype == "BF16" else NUMPY_DTYPES[datatype]


_FLOAT32 = np.dtype(np.float32)


def convert(name: str, array: np.ndarray, datatype: str) -> np.ndarray:
    """``array`` as input ``name``'s ``datatype``, when every value fits; else TensorError.

    A floating datatype takes any value within its finite range, rounded to the nearest
    one it holds (NaN and infinity pass through, for the caller's non-finite rule); an
    integer datatype takes whole numbers within its range.
    """
    dtype = decoded_dtype(datatype)
    if array.dtype == dtype:
        return array
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            result = array.astype(dtype)
        if not math.isfinite(np.add.reduce(result, axis=None)):  # an INT32 overflows FP16
            beyond = np.isinf(result) & np.isfinite(array)
            if beyond.any():
                _refuse_value(
                    name, array, int(np.flatnonzero(beyond)[0]), f"out of the range of {datatype}"
                )
        return result
    if dtype.kind not in "iu" or array.dtype.kind not in "iuf":
        raise TensorError(f"input '{name}': data cannot be converted to {datatype}")
    if array.size:
        if array.dtype.kind == "f":
            whole = np.isfinite(array) & (np.floor(array) == array)
            if not whole.all():
                _refuse_value(
                    name,
                    array,
                    int(np.flatnonzero(~whole)[0]),
                    f"not a whole number, as {datatype} needs",
                )
        info = np.iinfo(dtype)
        low, high = array.min().item(), array.max().item()
        if low < info.min or high > info.max:
            values = array.reshape(-1).tolist()
            first = next(i for i, v in enumerate(values) if not info.min <= v <= info.max)
            _refuse_value(name, array, first, f"out of the range of {datatype}")
    return array.astype(dtype)


def _refuse_value(name: str, array: np.ndarray, flat_index: int, problem: str) -> None:
    where = [int(i) for i in np.unravel_index(flat_index, array.shape)]
    value = array.reshape(-1)[flat_index].item()
    raise TensorError(f"input '{name}': value {value!r} at index {where} is {problem}")


def from_json(name: str, data: Any, shape: Sequence[int], datatype: str) -> np.ndarray:
    """The array of ``datatype`` and ``shape`` holding JSON ``data`` (flat or nested).

    ``data`` is a list, or a simdjson array: numbers of one kind, flat or nested regularly,
    then go straight into a buffer; anything else (nulls, booleans, strings, ragged nesting)
    takes the list path below, which also words the errors.
    """
    dtype = decoded_dtype(datatype)
    if isinstance(data, simdjson.Array):
        fast = from_tape(data, shape, dtype)
        # Infinity here is a finite JSON number beyond the datatype (or a sum that
        # overflowed): the list path below finds which, and says so.
        if fast is not None and (
            fast.dtype.kind != "f" or math.isfinite(np.add.reduce(fast, axis=None))
        ):
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
    return convert(name, array.reshape(shape), datatype)


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
    dtype = (_BFLOAT16_BITS if datatype == "BF16" else NUMPY_DTYPES[datatype]).newbyteorder("<")
    if len(raw) != count * dtype.itemsize:
        raise TensorError(
            f"input '{name}': shape {list(shape)} of {datatype} needs "
            f"{count * dtype.itemsize} bytes, got {len(raw)}"
        )
    array = np.frombuffer(raw, dtype=dtype)
    if datatype == "BF16":  # a bfloat16 is the upper half of the float32 of the same value
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array.reshape(shape)


_BFLOAT16_BITS = np.dtype(np.uint16)


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

"""Open Inference Protocol (V2) infer requests and responses, validated against the model.

Every way a request can be wrong becomes an :class:`InferenceError` with the HTTP status
and a message naming the problem, before onnxruntime sees it: the checks are a few numpy
calls, much cheaper than the inference they protect. Triton's binary tensor data extension
is understood in both directions, so Triton's client works with its defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import orjson
import simdjson

from modelops.runtime.serve import tensors
from modelops.runtime.serve.model import Model, TensorSpec

#: Request header giving the JSON part's length when binary tensor data follow it.
HEADER_LENGTH = "Inference-Header-Content-Length"


class InferenceError(Exception):
    """A request the server refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


#: Longest part of a client's value quoted in an error.
QUOTED_CHARACTERS = 40


def bad_request(message: str) -> InferenceError:
    return InferenceError(400, message)


@dataclass(frozen=True)
class Limits:
    max_batch_size: int
    allow_non_finite: bool


class InferRequest(NamedTuple):
    """A validated request: arrays ready for onnxruntime and what to send back."""

    id: str | None
    inputs: dict[str, np.ndarray]
    outputs: list[str]
    """Requested outputs, in the order they are returned."""
    binary_outputs: frozenset[str]
    batch_size: int


def parse_header_length(value: str | None, body_length: int) -> int | None:
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        raise bad_request(f"{HEADER_LENGTH} must be an integer, got {value!r}") from None
    if not 0 <= length <= body_length:
        raise bad_request(f"{HEADER_LENGTH} {length} is outside the body of {body_length} bytes")
    return length


def parse_infer_request(
    body: bytes, header_length: int | None, model: Model, limits: Limits
) -> InferRequest:
    """Decode and validate ``body`` for ``model``; raises :class:`InferenceError`."""
    header = body if header_length is None else body[:header_length]
    parsed = _parse(header)
    if header_length is None and isinstance(parsed, simdjson.Object):
        try:
            plain = _plain_request(parsed, model, limits)
        except (ValueError, RuntimeError, KeyError):  # keys simdjson cannot look up again
            plain = None
        if plain is not None:
            return plain
    binary = memoryview(body)[header_length:] if header_length is not None else None
    return _full_request(header, binary, parsed, model, limits)


def _full_request(
    header: bytes, binary: memoryview | None, parsed: Any, model: Model, limits: Limits
) -> InferRequest:
    """Every request the protocol allows, each problem named: ``header`` is the JSON part
    (``parsed`` is ``_parse``'s reading of it), ``binary`` the tensor data after it."""
    document = _decode(header, parsed)
    request_id = document.get("id")
    if "id" in document and not isinstance(request_id, str):
        raise bad_request("'id' must be a string (leave it out for none)")
    parameters = _parameters(document, "the request")
    raw_inputs = document.get("inputs")
    if not isinstance(raw_inputs, list):
        raise bad_request("'inputs' must be an array")
    inputs, batch_size = _inputs(raw_inputs, binary, model, limits)
    if "outputs" in document and not isinstance(document["outputs"], list):
        raise bad_request("'outputs' must be an array (leave it out for all outputs)")
    outputs, binary_outputs = _outputs(document.get("outputs") or [], parameters, model)
    return InferRequest(request_id, inputs, outputs, binary_outputs, batch_size)


#: Keys of an input the plain request shortcut reads; anything more takes the full path.
_PLAIN_INPUT_KEYS = 4


def _plain_request(document: simdjson.Object, model: Model, limits: Limits) -> InferRequest | None:
    """The request, when it is the plain kind most clients send; None for anything else.

    Plain: ``inputs`` (and perhaps a string ``id``) and nothing more, one input, the
    model's only one, with ``name``, ``shape``, ``datatype`` and numeric ``data``, all
    valid. It reads those straight from the parsed document instead of building dicts
    first. What it accepts, the full path accepts with the same result (a property test
    holds them together); whatever it does not accept goes to the full path, which also
    words the errors.
    """
    size = len(document)
    request_id = None
    if size == 2:  # a lookup of a missing key costs simdjson more than the rest together
        request_id = document.get("id")
        if type(request_id) is not str:
            return None
    elif size != 1:
        return None
    inputs = document.get("inputs")
    if not isinstance(inputs, simdjson.Array) or len(inputs) != 1 or len(model.inputs) != 1:
        return None
    entry = inputs[0]
    if not isinstance(entry, simdjson.Object) or len(entry) != _PLAIN_INPUT_KEYS:
        return None
    name = entry.get("name")
    spec = model.inputs.get(name) if type(name) is str else None
    datatype = entry.get("datatype")
    shape = entry.get("shape")
    data = entry.get("data")
    if (
        spec is None
        or type(datatype) is not str
        or not tensors.direct(datatype, spec.datatype)
        or not isinstance(shape, simdjson.Array)
        or not isinstance(data, simdjson.Array)
    ):
        return None
    dims = shape.as_list()
    if _shape_problem(dims, spec) is not None:
        return None
    batch_size = dims[0] if spec.batched else 1
    if batch_size > limits.max_batch_size:
        return None
    array = tensors.from_tape(data, dims, tensors.NUMPY_DTYPES[spec.datatype])
    if array is None:
        return None
    # JSON numbers are finite: infinity here is one beyond the input's datatype (or a sum
    # overflowing), which the full path tells apart and words.
    if array.dtype.kind == "f" and not math.isfinite(np.add.reduce(array, axis=None)):
        return None
    return InferRequest(
        request_id, {spec.name: array}, list(model.outputs), frozenset(), batch_size
    )


#: Bodies up to this size share one parser, so its buffers are allocated once: a fresh
#: parser per request doubled the parse of a batch of 64 (76 against 39 us). A larger body
#: gets a parser of its own, so the server does not keep buffers that size.
SHARED_PARSER_BYTES = 1 << 20


class _Parsers:
    """simdjson parsers: one shared for ordinary bodies, a fresh one when that is busy."""

    def __init__(self) -> None:
        self.shared = simdjson.Parser()

    def parse(self, header: bytes) -> Any:
        if len(header) > SHARED_PARSER_BYTES:
            return simdjson.Parser().parse(header)
        try:
            return self.shared.parse(header)
        except RuntimeError:
            # simdjson refuses to reuse a parser while anything still refers to its last
            # document (a traceback kept alive, say); that one is left to it.
            self.shared = simdjson.Parser()
            return self.shared.parse(header)


_parsers = _Parsers()


def _parse(header: bytes) -> Any:
    """The body as simdjson parsed it, or None when simdjson refuses it.

    Whatever it returns must be let go of before the next request is parsed (nothing
    simdjson made outlives ``parse_infer_request``), or that request pays for a new parser.
    """
    try:
        return _parsers.parse(header)
    except (ValueError, RuntimeError):
        return None


def _decode(header: bytes, parsed: Any) -> dict[str, Any]:
    """The request as Python values, except each input's ``data``, left as parsed JSON.

    simdjson parsed the whole body once (``parsed``); tensor data then go from its tape into
    a numpy buffer (``tensors.from_json``) without becoming one Python float per value.
    What it refuses (an integer beyond 64 bits, or JSON that is malformed: ``parsed`` is
    None) goes to orjson, which reads the former and words a better error, with a position,
    for the latter.
    """
    if parsed is not None:
        try:
            return _from_document(parsed)
        except (ValueError, RuntimeError, KeyError):
            # Also a key simdjson lists but cannot look up again (some escaped keys).
            pass
    try:
        decoded = orjson.loads(header)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"malformed JSON: {error}") from None
    if not isinstance(decoded, dict):
        raise bad_request("the request must be a JSON object")
    return decoded


def _from_document(document: Any) -> dict[str, Any]:
    if not isinstance(document, simdjson.Object):
        raise bad_request("the request must be a JSON object")
    # Keys then [key], not items(): items() converts every value, tensor data included.
    result = {key: _plain(document[key]) for key in document if key != "inputs"}
    inputs = document.get("inputs")
    if isinstance(inputs, simdjson.Array):
        result["inputs"] = [
            {key: entry[key] if key == "data" else _plain(entry[key]) for key in entry}
            if isinstance(entry, simdjson.Object)
            else _plain(entry)
            for entry in inputs
        ]
    elif "inputs" in document:
        result["inputs"] = _plain(inputs)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value


def _parameters(entry: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    parameters = entry.get("parameters", {})
    if not isinstance(parameters, dict):
        raise bad_request(f"'parameters' of {where} must be an object")
    return parameters


def _inputs(
    raw_inputs: list[Any], binary: memoryview | None, model: Model, limits: Limits
) -> tuple[dict[str, np.ndarray], int]:
    arrays: dict[str, np.ndarray] = {}
    batch_size: int | None = None
    offset = 0
    for entry in raw_inputs:
        if not isinstance(entry, dict):
            raise bad_request("each input must be an object")
        spec = _input_spec(entry, model, arrays)
        shape = _shape(entry, spec)
        if spec.batched:
            if batch_size is not None and shape[0] != batch_size:
                raise bad_request(
                    f"input '{spec.name}' has batch size {shape[0]}, other inputs {batch_size}"
                )
            batch_size = shape[0]
            if batch_size > limits.max_batch_size:
                raise bad_request(
                    f"batch size {batch_size} is over the maximum of {limits.max_batch_size}"
                )
        datatype = entry["datatype"]
        size = _parameters(entry, f"input '{spec.name}'").get("binary_data_size")
        try:
            if size is None:
                if "data" not in entry:
                    raise bad_request(f"input '{spec.name}' has no 'data'")
                array = tensors.from_json(spec.name, entry["data"], shape, datatype)
            else:
                if binary is None or not isinstance(size, int) or size < 0:
                    raise bad_request(
                        f"input '{spec.name}' has binary_data_size but no binary data follows "
                        f"(send the {HEADER_LENGTH} header)"
                    )
                if offset + size > len(binary):
                    raise bad_request(f"input '{spec.name}' has binary data past the body's end")
                raw = bytes(binary[offset : offset + size])
                offset += size
                array = tensors.from_binary(spec.name, raw, shape, datatype)
            array = tensors.convert(spec.name, array, spec.datatype)
        except tensors.TensorError as error:
            raise bad_request(str(error)) from None
        if not limits.allow_non_finite and array.dtype.kind == "f":
            _reject_non_finite(spec.name, array)
        arrays[spec.name] = array
    missing = [name for name in model.inputs if name not in arrays]
    if missing:
        raise bad_request(f"missing input(s): {', '.join(missing)}")
    return arrays, 1 if batch_size is None else batch_size


def _input_spec(entry: Mapping[str, Any], model: Model, seen: Mapping[str, Any]) -> TensorSpec:
    name = entry.get("name")
    if not isinstance(name, str):
        raise bad_request("each input needs a string 'name'")
    spec = model.inputs.get(name)
    if spec is None:
        raise bad_request(
            f"unknown input '{name}'; the model's inputs are: {', '.join(model.inputs)}"
        )
    if name in seen:
        raise bad_request(f"input '{name}' is given twice")
    datatype = entry.get("datatype")
    if not isinstance(datatype, str) or datatype not in tensors.DATATYPES:
        raise bad_request(
            f"input '{name}' has unknown datatype {_shown(datatype)}; "
            f"known: {', '.join(tensors.DATATYPES)}"
        )
    if not tensors.compatible(datatype, spec.datatype):
        kinds = "numeric data of any datatype" if spec.datatype in tensors.NUMERIC else "no other"
        raise bad_request(
            f"input '{name}' has datatype {spec.datatype}, got {datatype} ({kinds} can feed it)"
        )
    return spec


def _shape(entry: Mapping[str, Any], spec: TensorSpec) -> tuple[int, ...]:
    shape: Any = entry.get("shape")
    problem = _shape_problem(shape, spec)
    if problem is not None:
        raise bad_request(problem)
    return tuple(shape)


def _shape_problem(shape: Any, spec: TensorSpec) -> str | None:
    """What is wrong with a request's ``shape`` for ``spec``; None when it fits."""
    if type(shape) is not list:
        return f"input '{spec.name}': 'shape' must be an array of non-negative integers"
    for dim in shape:  # a plain loop: this runs on every request
        if type(dim) is not int or dim < 0:
            return f"input '{spec.name}': 'shape' must be an array of non-negative integers"
    matches = len(shape) == len(spec.shape)
    if matches:
        for want, got in zip(spec.shape, shape, strict=True):
            if want != -1 and want != got:
                matches = False
    if not matches:
        return f"input '{spec.name}' has shape {list(spec.shape)}, got {shape}"
    return None


def _reject_non_finite(name: str, array: np.ndarray) -> None:
    # One reduction: a NaN or infinity makes the sum non-finite. A sum can also overflow
    # from finite values; only then are the values checked one by one.
    if math.isfinite(np.add.reduce(array, axis=None)):
        return
    finite = np.isfinite(array)
    if not finite.all():
        where = np.argwhere(~finite)[0].tolist()
        raise bad_request(
            f"input '{name}' has a non-finite value (NaN or infinity) at index {where}; "
            "the server rejects them (--non-finite allow accepts them)"
        )


def _outputs(
    raw_outputs: list[Any], parameters: Mapping[str, Any], model: Model
) -> tuple[list[str], frozenset[str]]:
    """Names of the outputs to return, each once, and those to return as binary data.

    No outputs requested (``outputs`` left out, or ``[]``, as Triton and KServe read it)
    means all of them. An output named twice is returned once, with the first request's
    parameters: the answer can never hold more tensors than the model has outputs.
    """
    all_binary = _flag(parameters, "binary_data_output", "the request's parameters")
    if not raw_outputs:
        names = list(model.outputs)
        return names, frozenset(names if all_binary else ())
    names = []
    binary = set()
    for entry in raw_outputs:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise bad_request("each requested output needs a string 'name'")
        if name not in model.outputs:
            raise bad_request(
                f"unknown output '{name}'; the model's outputs are: {', '.join(model.outputs)}"
            )
        where = f"output '{name}'"
        wants_binary = _flag(_parameters(entry, where), "binary_data", where, all_binary)
        if name in names:
            continue
        if wants_binary:
            binary.add(name)
        names.append(name)
    return names, frozenset(binary)


def _flag(parameters: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = parameters.get(key, default)
    if type(value) is not bool:
        raise bad_request(f"'{key}' of {where} must be true or false, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A client's value quoted in an error, cut short: a message must not echo a body."""
    text = repr(value)
    return text if len(text) <= QUOTED_CHARACTERS else text[:QUOTED_CHARACTERS] + "..."


def encode_response(
    model_name: str,
    version: str,
    request: InferRequest,
    specs: Mapping[str, TensorSpec],
    arrays: Sequence[np.ndarray],
) -> tuple[bytes, int | None]:
    """The response body and, when outputs travel as binary, the JSON header's length."""
    outputs = []
    blobs = []
    for name, array in zip(request.outputs, arrays, strict=True):
        output: dict[str, Any] = {
            "name": name,
            "datatype": specs[name].datatype,
            "shape": list(array.shape),
        }
        if name in request.binary_outputs:
            blob = tensors.to_binary(array)
            output["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            output["data"] = tensors.to_json(array)
        outputs.append(output)
    response: dict[str, Any] = {
        "model_name": model_name,
        "model_version": version,
        "outputs": outputs,
    }
    if request.id is not None:
        response["id"] = request.id
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return header, None
    return b"".join([header, *blobs]), len(header)

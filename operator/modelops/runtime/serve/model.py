"""The served ONNX model: an onnxruntime session and its inputs and outputs in V2 terms.

Everything the server knows about a model comes from the model's own metadata, so an
imported ONNX model works as well as one the trainer exported. The session runs inline on
the event loop with one thread and sequential execution: a tree ensemble's inference is
sub-millisecond, and one core per pod keeps the latency predictable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from modelops.runtime import onnxguard

#: onnxruntime's type names -> V2 datatypes.
V2_DATATYPES = {
    "tensor(bool)": "BOOL",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(int8)": "INT8",
    "tensor(int16)": "INT16",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(float16)": "FP16",
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(string)": "BYTES",
}

PLATFORM = "onnxruntime_onnx"


class ModelError(Exception):
    """The bytes are not an ONNX model this server can serve; the message says why."""


@dataclass(frozen=True)
class TensorSpec:
    """One input or output as the V2 metadata endpoint describes it."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    """Dimensions, -1 where the model leaves one dynamic (the batch, usually)."""

    @property
    def batched(self) -> bool:
        """Whether the first dimension is the batch (dynamic)."""
        return bool(self.shape) and self.shape[0] == -1

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


class Model:
    """An onnxruntime session with V2 metadata for its inputs and outputs."""

    def __init__(self, session: ort.InferenceSession) -> None:
        self._session = session
        self.inputs: Mapping[str, TensorSpec] = {
            spec.name: spec for spec in map(_spec, session.get_inputs())
        }
        self.outputs: Mapping[str, TensorSpec] = {
            spec.name: spec for spec in map(_spec, session.get_outputs())
        }

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        """Load ONNX bytes (whose digest the caller has checked) into a session.

        A model with external data is refused before onnxruntime opens anything.
        """
        try:
            onnxguard.refuse_external_data(data)
        except onnxguard.Refused as error:
            raise ModelError(str(error)) from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise ModelError(f"onnxruntime cannot load the model: {error}") from error
        return cls(session)

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str]) -> list[np.ndarray]:
        """The named outputs for ``feeds``; onnxruntime's errors propagate."""
        results: list[np.ndarray] = self._session.run(list(outputs), dict(feeds))
        return results


def _spec(node: Any) -> TensorSpec:
    datatype = V2_DATATYPES.get(node.type)
    if datatype is None:
        raise ModelError(
            f"'{node.name}' has type {node.type}, which the Open Inference Protocol cannot "
            "carry (a scikit-learn classifier must be exported with zipmap=False)"
        )
    shape = tuple(dim if isinstance(dim, int) and dim >= 0 else -1 for dim in node.shape)
    return TensorSpec(name=node.name, datatype=datatype, shape=shape)

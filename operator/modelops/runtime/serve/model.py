"""The served ONNX model: an onnxruntime session and its inputs and outputs in V2 terms.

Everything the server knows about a model comes from the model's own metadata, so an
imported ONNX model works as well as one the trainer exported. The session runs inline on
the event loop with one thread and sequential execution: a tree ensemble's inference is
sub-millisecond, and one core per pod keeps the latency predictable.

One request must not hold the pod: a valid but hostile graph (a large tensor per row) ran
for seconds and kept gigabytes resident. So the CPU memory arena is off (onnxruntime then
frees each tensor as it goes, and large ones go back to the system at once; the tree models
served here allocate little, and the hot path measured no slower), and a :class:`Budget`
stops a run that outlives its time: onnxruntime checks ``RunOptions.terminate`` between
nodes, which one watchdog thread sets.
"""

from __future__ import annotations

import threading
import time
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


class OverBudget(Exception):
    """A run stopped because it took longer than its time budget."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"inference took over its budget of {seconds:g} s")
        self.seconds = seconds


class Budget:
    """A time limit per run, enforced by one daemon thread that stops what outlives it.

    A run costs the request path one RunOptions (0.4 us) and two attribute writes; the
    thread wakes every ``seconds / 10`` (at most every 50 ms) and sets ``terminate`` on
    the current run's options once its deadline has passed. A run stopped just after it
    finished is harmless: those options are never used again.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._current: tuple[float, ort.RunOptions] | None = None
        self._interval = min(0.05, seconds / 10)
        self._thread: threading.Thread | None = None

    def start(self) -> ort.RunOptions:
        """Options for a run starting now; call :meth:`finish` when it returns."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="budget", daemon=True)
            self._thread.start()
        options = ort.RunOptions()
        self._current = (time.monotonic() + self.seconds, options)
        return options

    def finish(self) -> None:
        self._current = None

    def _watch(self) -> None:
        while True:
            time.sleep(self._interval)
            current = self._current
            if current is not None and time.monotonic() > current[0]:
                current[1].terminate = True


class Model:
    """An onnxruntime session with V2 metadata for its inputs and outputs."""

    def __init__(self, session: ort.InferenceSession, budget: Budget | None = None) -> None:
        self._session = session
        self._budget = budget
        self.inputs: Mapping[str, TensorSpec] = {
            spec.name: spec for spec in map(_spec, session.get_inputs())
        }
        self.outputs: Mapping[str, TensorSpec] = {
            spec.name: spec for spec in map(_spec, session.get_outputs())
        }

    @classmethod
    def from_bytes(cls, data: bytes, budget: float | None = None) -> Model:
        """Load ONNX bytes (whose digest the caller has checked) into a session.

        A model with external data is refused before onnxruntime opens anything.
        ``budget`` is the longest a run may take, in seconds; None for no limit.
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
        options.enable_cpu_mem_arena = False  # so one huge request's memory is given back
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise ModelError(f"onnxruntime cannot load the model: {error}") from error
        return cls(session, Budget(budget) if budget else None)

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str]) -> list[np.ndarray]:
        """The named outputs for ``feeds``; :class:`OverBudget` if the run took too long,
        onnxruntime's other errors propagate."""
        budget = self._budget
        if budget is None:
            unlimited: list[np.ndarray] = self._session.run(list(outputs), dict(feeds))
            return unlimited
        options = budget.start()
        try:
            results: list[np.ndarray] = self._session.run(list(outputs), dict(feeds), options)
        except Exception:
            if options.terminate:
                raise OverBudget(budget.seconds) from None
            raise
        finally:
            budget.finish()
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

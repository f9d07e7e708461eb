"""The architecture's ceiling: one aiohttp handler around the same onnxruntime session.

Run as ``python onnx_ceiling.py PORT MODEL_ONNX``. It decodes the V2 body the fastest way
available (simdjson, straight into a buffer), runs the model and answers its outputs: no
validation, no metrics, no drift, no draining. What modelops serve does beyond this is
the gap between the two rows of the table.
"""

from __future__ import annotations

import sys

import numpy as np
import onnxruntime as ort
import orjson
import simdjson
from aiohttp import web


def session(path: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main() -> None:
    model = session(sys.argv[2])

    async def infer(request: web.Request) -> web.Response:
        entry = simdjson.Parser().parse(await request.read())["inputs"][0]
        rows = np.frombuffer(entry["data"].as_buffer(of_type="d")).astype(np.float32)
        label, probabilities = model.run(None, {"input": rows.reshape(entry["shape"].as_list())})
        outputs = [
            {"name": "label", "datatype": "INT64", "shape": list(label.shape), "data": label},
            {
                "name": "probabilities",
                "datatype": "FP32",
                "shape": list(probabilities.shape),
                "data": probabilities,
            },
        ]
        body = orjson.dumps(
            {"model_name": "cancer", "outputs": outputs}, option=orjson.OPT_SERIALIZE_NUMPY
        )
        return web.Response(body=body, content_type="application/json")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/v2/models/cancer/infer", infer)
    app.router.add_get("/v2/health/ready", ready)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()

"""The inference server of the serving pods: `modelops serve`.

It speaks the Open Inference Protocol (V2) over REST so KServe, Triton and MLServer
clients work unchanged, serves one ONNX model version with onnxruntime, and exports
request, prediction and drift metrics to Prometheus. Layers, lowest first:
``tensors`` (V2 datatypes <-> numpy), ``model`` (the onnxruntime session),
``protocol`` (request parsing and validation), ``metrics``, ``driftfeed`` and
``payloads`` (what is observed per request), ``lifecycle`` (load, ready, drain),
``app`` (aiohttp routes) and ``command`` (the CLI).
"""

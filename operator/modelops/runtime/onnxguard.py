"""Refuses ONNX models whose tensors live outside the model file (ONNX external data).

A tensor stored as external data names a file path, which onnxruntime opens relative to
the model (or the working directory, for a model loaded from bytes). A path such as
``../../etc/passwd`` turned a file of the pod into "weights" that a prediction returns,
and older onnxruntime releases do not confine those paths. Every artifact modelops
trains or serves is one self-contained file, so the server, the scanner and the trainer
refuse any external reference before onnxruntime sees the model: nothing is resolved,
nothing is read. The message names the tensor, never what the path holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import onnx
from onnx import AttributeProto, GraphProto, ModelProto, TensorProto

#: Longest part of a tensor's name or location quoted in an error.
QUOTED_CHARACTERS = 80


class Refused(ValueError):
    """The model references tensor data outside its own bytes, or is no model at all."""


def refuse_external_data(model: ModelProto | bytes) -> None:
    """Raise :class:`Refused` if any tensor of ``model`` is stored externally.

    ``model`` is a parsed ModelProto or the bytes of model.onnx. Looks at initializers,
    sparse initializers, and tensor attributes of every node, in subgraphs (If, Loop, Scan
    bodies) and in model-local functions too. Bytes that do not parse as a model are
    refused as well: what cannot be looked at is not handed to onnxruntime.
    """
    if isinstance(model, bytes):
        try:
            proto = onnx.load_model_from_string(model)
        except Exception as error:  # protobuf's DecodeError, which has no stubs here
            raise Refused(f"the bytes are not an ONNX model: {error}") from None
    else:
        proto = model
    for where, tensor in _tensors(proto):
        if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
            location = next(
                (entry.value for entry in tensor.external_data if entry.key == "location"), ""
            )
            raise Refused(
                f"{where} {_quote(tensor.name)} is stored as external data "
                f"(location {_quote(location)}); modelops accepts only self-contained ONNX "
                "models: save it with onnx.save_model(model, path, save_as_external_data=False)"
            )


def _tensors(model: ModelProto) -> Iterator[tuple[str, TensorProto]]:
    yield from _graph_tensors(model.graph)
    for function in model.functions:
        for node in function.node:
            yield from _attribute_tensors(node.attribute)


def _graph_tensors(graph: GraphProto) -> Iterator[tuple[str, TensorProto]]:
    for tensor in graph.initializer:
        yield "initializer", tensor
    for sparse in graph.sparse_initializer:
        yield "sparse initializer", sparse.values
        yield "sparse initializer", sparse.indices
    for node in graph.node:
        yield from _attribute_tensors(node.attribute)


def _attribute_tensors(attributes: Iterable[AttributeProto]) -> Iterator[tuple[str, TensorProto]]:
    for attribute in attributes:
        if attribute.HasField("t"):
            yield "attribute tensor", attribute.t
        for tensor in attribute.tensors:
            yield "attribute tensor", tensor
        if attribute.HasField("sparse_tensor"):
            yield "attribute tensor", attribute.sparse_tensor.values
            yield "attribute tensor", attribute.sparse_tensor.indices
        for sparse in attribute.sparse_tensors:
            yield "attribute tensor", sparse.values
            yield "attribute tensor", sparse.indices
        if attribute.HasField("g"):
            yield from _graph_tensors(attribute.g)
        for graph in attribute.graphs:
            yield from _graph_tensors(graph)


def _quote(text: str) -> str:
    if len(text) > QUOTED_CHARACTERS:
        text = text[:QUOTED_CHARACTERS] + "..."
    return repr(text)

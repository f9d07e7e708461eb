"""A model whose tensors point outside model.onnx (ONNX external data) is never loaded."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from modelops.runtime import artifacts, onnxguard
from modelops.runtime.serve.model import Model, ModelError
from tests.serve.conftest import Served, StartClient

SECRET = "root:x:0:0:the-content-of-the-file"


def _model_reading(location: str, where: str = "initializer") -> onnx.ModelProto:
    """input + w, where w's 16 bytes are said to live in the file at ``location``."""
    weights = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    weights.data_location = TensorProto.EXTERNAL
    for key, value in {"location": location, "offset": "0", "length": "16"}.items():
        weights.external_data.add(key=key, value=value)
    nodes = [helper.make_node("Add", ["input", "w"], ["output"])]
    initializers = [weights]
    if where == "attribute":
        nodes.insert(0, helper.make_node("Constant", [], ["w"], value=weights))
        initializers = []
    graph = helper.make_graph(
        nodes,
        "reads-a-file",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [4])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("where", ["initializer", "attribute"])
def test_the_guard_refuses_external_data_wherever_it_is(where: str) -> None:
    model = _model_reading("../../etc/passwd", where)

    with pytest.raises(onnxguard.Refused, match="'w' is stored as external data"):
        onnxguard.refuse_external_data(model)
    with pytest.raises(onnxguard.Refused, match=r"'\.\./\.\./etc/passwd'"):
        onnxguard.refuse_external_data(model.SerializeToString())


def test_the_guard_accepts_a_self_contained_model(served: Served) -> None:
    data = Path(served.uri.removeprefix("file://"), artifacts.MODEL).read_bytes()
    onnxguard.refuse_external_data(data)  # no error
    Model.from_bytes(data)


def test_a_file_beside_the_model_is_not_read_either(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_text(SECRET)
    model = _model_reading(str(tmp_path / "weights.bin"))

    with pytest.raises(ModelError, match="external data") as refused:
        Model.from_bytes(model.SerializeToString())
    assert "root:" not in str(refused.value)


async def test_serve_refuses_a_model_pointing_at_etc_passwd(
    start_client: StartClient, served: Served, artifact_dir: Path
) -> None:
    digest = artifacts.write_bytes(
        str(artifact_dir / artifacts.MODEL), _model_reading("../../etc/passwd").SerializeToString()
    )
    client = await start_client(served.config(artifact_uri=artifact_dir.as_uri(), digest=digest))

    ready = await client.get("/v2/health/ready")
    assert ready.status == 503
    reason = (await ready.json())["error"]
    assert "initializer 'w' is stored as external data" in reason
    assert "self-contained" in reason
    assert "root:" not in reason
    infer = await client.post(
        "/v2/models/cancer/infer",
        json={"inputs": [{"name": "input", "shape": [4], "datatype": "FP32", "data": [0] * 4}]},
    )
    assert infer.status == 503
    assert "root:" not in await infer.text()

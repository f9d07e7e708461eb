"""A model is loaded only as ONNX and only if its sha256 matches the registered digest.

Corruption is covered where each loader is tested (tests/serve/test_loading.py,
tests/scan/test_command.py, tests/e2e/test_serving.py); here the artifact is swapped for
another *valid* ONNX model, which only the digest can catch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from benchmarks.reliability_lib import serve_abuse

from modelops.cli import main
from modelops.runtime import artifacts
from modelops.runtime.serve import loading


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> serve_abuse.Artifacts:
    return serve_abuse.build_model(tmp_path_factory.mktemp("registered"))


@pytest.fixture
def swapped(registered: serve_abuse.Artifacts, tmp_path: Path) -> Path:
    """The registered artifacts with model.onnx replaced by a working model that lies."""
    directory = tmp_path / "swapped"
    shutil.copytree(registered.uri.removeprefix("file://"), directory)
    model = onnx.load(str(directory / artifacts.MODEL))
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.name == "coefficients":  # the classifier's weights: flip them
                flipped = [-value for value in attribute.floats]
                del attribute.floats[:]
                attribute.floats.extend(flipped)
    onnx.checker.check_model(model)
    (directory / artifacts.MODEL).write_bytes(model.SerializeToString())
    return directory


def test_the_swapped_model_is_valid_onnx_that_predicts_differently(
    registered: serve_abuse.Artifacts, swapped: Path
) -> None:
    digest = artifacts.sha256_digest((swapped / artifacts.MODEL).read_bytes())
    original = loading.load(registered.uri, registered.digest, with_reference=False).model
    forged = loading.load(swapped.as_uri(), digest, with_reference=False).model
    rows = {"input": registered.rows[:50]}
    assert not np.array_equal(original.run(rows, ["label"])[0], forged.run(rows, ["label"])[0]), (
        "the forgery would change predictions if it were loaded"
    )


def test_the_server_refuses_a_model_whose_digest_does_not_match(
    registered: serve_abuse.Artifacts, swapped: Path
) -> None:
    with pytest.raises(loading.LoadError, match="digest mismatch"):
        loading.load(swapped.as_uri(), registered.digest, with_reference=True)


def test_the_scan_refuses_a_model_whose_digest_does_not_match(
    registered: serve_abuse.Artifacts,
    swapped: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    termination = tmp_path / "termination-log"
    monkeypatch.setenv("MODELOPS_TERMINATION_MESSAGE_PATH", str(termination))
    code = main(
        [
            "scan",
            f"--artifact-uri={swapped.as_uri()}",
            f"--digest={registered.digest}",
            "--task=classification",
        ]
    )
    assert code == 2
    assert json.loads(termination.read_text())["reason"] == "DigestMismatch"

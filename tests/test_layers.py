"""The operator process needs none of what runs in pods, so its image can leave it out."""

from __future__ import annotations

import subprocess
import sys

RUNTIME_ONLY = ("sklearn", "skl2onnx", "onnxruntime", "onnx", "numpy", "scipy", "pyarrow", "fsspec")


def test_the_operator_imports_no_runtime_library() -> None:
    probe = (
        "import sys, modelops.cli, modelops.controllers.operator\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not set(RUNTIME_ONLY) & set(loaded)

"""Short versions of ``benchmarks/reliability.py``: the same scenarios at CI sizes, asserted.

Each scenario starts its own local cluster or server on 127.0.0.1 and stops it; sizes are
chosen to finish in a few minutes on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.reliability_lib import serve_abuse


@pytest.fixture(scope="session")
def abuse_model(tmp_path_factory: pytest.TempPathFactory) -> serve_abuse.Artifacts:
    """A real model's artifacts, as a serving pod loads them."""
    return serve_abuse.build_model(tmp_path_factory.mktemp("abuse-model"))


@pytest.fixture
def server(
    abuse_model: serve_abuse.Artifacts, tmp_path: Path
) -> Iterator[serve_abuse.ServeProcess]:
    """A ``modelops serve`` process with short client timeouts (3 s), so slow clients are
    cut off quickly enough for a test."""
    with serve_abuse.ServeProcess(
        abuse_model, tmp_path / "serve.log", "--idle-timeout", "3", "--body-timeout", "3"
    ) as running:
        yield running

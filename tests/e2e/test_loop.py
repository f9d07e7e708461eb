"""Issue acceptance: drift -> retrain -> scan -> validate -> promote, closed, via the demo."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_closes_the_loop_and_leaves_nothing_running(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "modelops", "demo", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    if shutil.which("prometheus"):
        assert "drift will be read from Prometheus" in out
    for step in (
        "drift detected",
        "retraining started",
        "demo-v2 scanned: Validated",
        "v2 promoted",
    ):
        assert step in out, f"the timeline lacks {step!r}"
    assert "drift fell" in out
    seconds = float(re.search(r"traffic shift -> new model serving:\s+([0-9.]+) s", out).group(1))  # type: ignore[union-attr]
    assert seconds < 180
    assert re.search(r"requests: \d+ ok, 0 failed", out)
    assert (state / "report" / "demo.png").stat().st_size > 1000
    assert "<svg" in (state / "report" / "demo.html").read_text()
    assert not (state / "local.json").exists(), "the cluster was stopped"
    leftovers = subprocess.run(["pgrep", "-f", str(state)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "no process of the demo is left running"

"""The command line a user first meets."""

from __future__ import annotations

import subprocess
import sys

from modelops.cli import COMMANDS


def test_python_m_modelops_help_lists_every_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelops", "--help"], capture_output=True, text=True, check=True
    )
    for name in COMMANDS:
        assert name in result.stdout


def test_an_unknown_subcommand_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelops", "frobnicate"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr

"""The operator converges whatever the API server does: faults, kills, load, bad specs."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.reliability_lib import invalid_specs, operator_scenarios
from benchmarks.reliability_lib.harness import LocalCluster

pytestmark = pytest.mark.slow


def test_runs_and_deployments_converge_once_under_faults_and_an_operator_kill(
    tmp_path: Path,
) -> None:
    result = operator_scenarios.converge(
        tmp_path, runs=10, deployments=3, fault_rate=0.2, kills=1, seed=3, timeout=240
    )
    assert result.fault_share >= 0.18, "the API really was faulty"
    assert result.runs_succeeded == 10, f"stuck: {result.stuck}"
    assert result.deployments_ready == 3, f"stuck: {result.stuck}"
    assert result.duplicates == {}
    assert result.regressions == []
    assert result.unexpected_exits == 0, "the operator only died when the test killed it"
    assert result.statuses_recorded > 30, "the recorder saw the statuses it checked"


def test_jobs_for_runs_applied_at_once_are_created_quickly_by_a_lean_operator(
    tmp_path: Path,
) -> None:
    result = operator_scenarios.scale(tmp_path, runs=50)
    assert result.jobs == 50
    assert result.seconds <= 20
    assert result.peak_rss_mb <= 150
    assert result.duplicates == {}


def test_invalid_specs_are_refused_or_fail_with_a_reason_and_valid_runs_still_succeed(
    tmp_path: Path,
) -> None:
    mutations = invalid_specs.generate(10)
    with LocalCluster(tmp_path) as cluster:
        result = invalid_specs.check(cluster, mutations, timeout=180)
    assert result.wrong == []
    assert result.rejected_at_apply + result.failed_with_reason == 10
    assert result.valid_after == "Succeeded"


def test_the_generated_specs_are_varied_and_repeatable() -> None:
    first, again = invalid_specs.generate(30), invalid_specs.generate(30)
    assert first == again
    assert len({m.field for m in first}) >= 8, "the generator covers many fields"

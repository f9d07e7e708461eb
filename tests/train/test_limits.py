"""A run stays within its CPU limit, and a size no one means is refused before data is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
from threadpoolctl import threadpool_info

from modelops.api.trainingrun import PARAM_BOUNDS, Estimator
from modelops.runtime.train import limits, trainer

from .conftest import Train


@pytest.mark.parametrize(
    ("value", "cores"),
    [("2", 2), ("1500m", 2), ("500m", 1), ("0.5", 1), ("4", 4), ("", 1), ("lots", 1), ("0", 1)],
)
def test_the_cpu_limit_is_read_in_whole_cores_rounded_up(value: str, cores: int) -> None:
    assert limits.cpu_limit({limits.CPU_LIMIT_VARIABLE: value}) == cores


def test_without_a_cpu_limit_a_run_gets_one_core() -> None:
    assert limits.cpu_limit({}) == limits.DEFAULT_CPUS == 1


@pytest.mark.parametrize(
    ("requested", "granted"), [(-1, 4), (8, 4), (2, 2), (-2, 3), (-10, 1), (1, 1)]
)
def test_n_jobs_is_capped_to_the_cpu_limit(requested: int, granted: int) -> None:
    assert limits.jobs(requested, 4) == granted


@pytest.fixture
def cpu_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.CPU_LIMIT_VARIABLE, "2")


@pytest.mark.usefixtures("cpu_limit")
def test_a_run_asking_for_every_core_gets_its_limit(train: Train, output: Path) -> None:
    estimator = {"name": "RandomForestClassifier", "params": {"n_estimators": 5, "n_jobs": -1}}

    code, summary = train(dataset={"uri": "builtin://iris"}, estimator=estimator)

    assert code == 0
    assert summary["params"]["n_jobs"] == 2
    assert '"n_jobs": 2' in (output / "manifest.json").read_text()


def test_openmp_and_blas_threads_stay_within_the_default_core_while_fitting(
    train: Train, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(limits.CPU_LIMIT_VARIABLE, raising=False)
    seen: list[int] = []
    genuine = trainer._fit

    def fit_and_count(*args: Any) -> None:
        seen.extend(pool["num_threads"] for pool in threadpool_info())
        genuine(*args)

    monkeypatch.setattr(trainer, "_fit", fit_and_count)

    code, _ = train(
        dataset={"uri": "builtin://iris"},
        estimator={"name": "HistGradientBoostingClassifier", "params": {"max_iter": 5}},
    )

    assert code == 0
    assert seen, "no thread pool was loaded"
    assert max(seen) == 1


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({"n_estimators": 1e9}, "n_estimators is 1e+09, above the largest allowed 10000"),
        ({"n_estimators": 10_001}, "above the largest allowed 10000"),
        ({"n_jobs": 0}, "n_jobs must be a positive number of jobs or -1"),
        ({"n_jobs": "all"}, "n_jobs must be a positive number of jobs or -1"),
    ],
)
def test_unbounded_work_is_refused_before_any_data_is_read(
    train: Train, tmp_path: Path, params: dict[str, Any], wanted: str
) -> None:
    never_read = (tmp_path / "not-there.csv").as_uri()

    code, summary = train(
        dataset={"uri": never_read},
        estimator={"name": "RandomForestClassifier", "params": params},
    )

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert wanted in summary["message"]


@pytest.mark.parametrize("name", sorted(PARAM_BOUNDS))
def test_every_bound_is_refused_by_the_api_above_and_allowed_at_it(name: str) -> None:
    bound = PARAM_BOUNDS[name]
    Estimator.model_validate({"name": "Ridge", "params": {name: bound}})
    with pytest.raises(pydantic.ValidationError, match=f"{name} is {bound + 1}"):
        Estimator.model_validate({"name": "Ridge", "params": {name: bound + 1}})

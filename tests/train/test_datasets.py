"""Datasets from files, directories, globs and memory, in CSV or Parquet."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import fsspec
import numpy as np
import pyarrow as pa
import pytest
from pyarrow import csv, parquet

from .conftest import Train


def day(index: int, rows: int = 40) -> pa.Table:
    """Rows numbered from ``index * rows`` so a test can tell which day a row came from."""
    rng = np.random.default_rng(index)
    x = rng.normal(size=rows)
    return pa.table(
        {
            "row": np.arange(index * rows, (index + 1) * rows),
            "x": x,
            "label": (x > 0).astype(np.int64),
        }
    )


def digest(*paths: Path) -> str:
    return "sha256:" + hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_single_file_is_read_by_its_extension(train: Train, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    table = pa.concat_tables([day(0), day(1)])
    if suffix == ".csv":
        csv.write_csv(table, path)
    else:
        parquet.write_table(table, path)

    code, summary = train(dataset={"uri": path.as_uri(), "target": "label"})

    assert code == 0, summary
    assert summary["rows"] == 80
    assert summary["datasetDigest"] == digest(path)


def test_format_overrides_an_unknown_extension(train: Train, tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    csv.write_csv(pa.concat_tables([day(0), day(1)]), path)

    code, summary = train(dataset={"uri": path.as_uri(), "target": "label", "format": "csv"})

    assert code == 0, summary


def test_an_unknown_extension_without_format_asks_for_one(train: Train, tmp_path: Path) -> None:
    path = tmp_path / "export.data"
    csv.write_csv(day(0), path)

    code, summary = train(dataset={"uri": path.as_uri(), "target": "label"})

    assert (code, summary["reason"]) == (2, "InvalidDataset")
    assert "dataset.format" in summary["message"]


@pytest.fixture
def memory_dataset() -> Iterator[str]:
    uri = "memory://modelops-tests/train/data.parquet"
    with fsspec.open(uri, "wb") as handle:
        parquet.write_table(pa.concat_tables([day(0), day(1)]), handle)
    yield uri
    fsspec.filesystem("memory").rm("/modelops-tests", recursive=True)


def test_a_memory_dataset_trains(train: Train, memory_dataset: str) -> None:
    code, summary = train(dataset={"uri": memory_dataset, "target": "label"})

    assert code == 0, summary
    assert summary["rows"] == 80


@pytest.fixture
def days(tmp_path: Path) -> list[Path]:
    """Three daily CSV files, written out of order, plus a file the trainer must ignore."""
    folder = tmp_path / "days"
    folder.mkdir()
    paths = [folder / f"day-{i}.csv" for i in range(3)]
    for i in (2, 0, 1):
        csv.write_csv(day(i), paths[i])
    (folder / "_SUCCESS").write_text("")
    return paths


@pytest.mark.parametrize("pattern", ["{folder}", "{folder}/", "{folder}/day-*.csv"])
def test_a_directory_or_glob_concatenates_files_in_name_order(
    train: Train, output: Path, days: list[Path], pattern: str
) -> None:
    uri = pattern.format(folder=days[0].parent.as_uri())

    code, summary = train(dataset={"uri": uri, "target": "label", "features": ["x"]})

    assert code == 0, summary
    assert summary["rows"] == 120
    assert summary["datasetDigest"] == digest(*days)
    manifest = json.loads((output / "manifest.json").read_text())
    assert [Path(f).name for f in manifest["dataset"]["files"]] == [p.name for p in days]


def test_max_rows_keeps_the_most_recent_rows(train: Train, output: Path, days: list[Path]) -> None:
    code, summary = train(
        dataset={
            "uri": days[0].parent.as_uri(),
            "target": "label",
            "maxRows": 50,
            "categorical": [],
            "features": ["x", "row"],
        }
    )

    assert code == 0, summary
    assert summary["rows"] == 50
    holdout = parquet.read_table(output / "holdout.parquet")
    assert min(holdout.column("row").to_pylist()) >= 70

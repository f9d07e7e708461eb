"""Any column name a table can hold trains, exports under that exact name, and scans.

skl2onnx rewrites names that are not identifiers; the trainer used to feed the holdout by
the original name and crashed as a retried TrainingFailed (issue 14, finding 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pyarrow as pa
import pytest
from pyarrow import csv, parquet

from modelops.api.trainingrun import Task
from modelops.runtime.scan import scanner

from .conftest import Train

ODD_NAMES = ["<b>x</b>", 'say "hi"', "two\nlines", "a:b/c", "modelops_categorical_1", "ünï cödé"]


def table_with(tmp_path: Path, categorical: list[str]) -> str:
    rng = np.random.default_rng(0)
    columns: dict[str, object] = {"price": rng.normal(size=300)}
    for name in categorical:
        columns[name] = rng.choice(["red", "blue", "<i>green</i>"], 300)
    label = (columns["price"] > 0) ^ (np.asarray(columns[categorical[0]]) == "red")
    columns["bought"] = label.astype(np.int64)
    path = tmp_path / "odd.parquet"
    parquet.write_table(pa.table(columns), path)
    return path.as_uri()


def test_categorical_columns_with_any_name_train_and_keep_their_names(
    train: Train, output: Path, tmp_path: Path
) -> None:
    code, summary = train(
        dataset={"uri": table_with(tmp_path, ODD_NAMES), "target": "bought"},
        preprocessing={"oneHot": True},
        estimator={"name": "LogisticRegression"},
    )

    assert code == 0, summary
    model = onnx.load(output / "model.onnx")
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["input", *ODD_NAMES]
    session = onnxruntime.InferenceSession(model.SerializeToString())
    feeds = {"input": np.zeros((1, 1), np.float32)} | {
        name: np.array([["red"]], dtype=object) for name in ODD_NAMES
    }
    assert session.run(["label"], feeds)[0].shape == (1,)

    scanned = scanner.run(
        scanner.ScanRequest(
            artifact_uri=output.as_uri(),
            digest=summary["digest"],
            task=Task.CLASSIFICATION,
            target="bought",
        )
    )
    assert scanned.rows == 60


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("label", "would clash with the model's output of that name"),
        ("probabilities", "would clash with the model's output of that name"),
        ("input", "would clash with the model's numeric input of that name"),
    ],
)
def test_a_column_named_like_a_model_output_is_a_permanent_invalid_spec(
    train: Train, tmp_path: Path, name: str, wanted: str
) -> None:
    path = tmp_path / "clash.csv"
    rng = np.random.default_rng(0)
    csv.write_csv(
        pa.table(
            {
                "x": rng.normal(size=60),
                name: rng.choice(["a", "b"], 60),
                "y": rng.integers(0, 2, 60),
            }
        ),
        path,
    )

    code, summary = train(
        dataset={"uri": path.as_uri(), "target": "y"}, preprocessing={"oneHot": True}
    )

    assert (code, summary["reason"]) == (2, "InvalidSpec")
    assert f'categorical column "{name}" {wanted}' in summary["message"]

"""One training run from spec to artifacts: load, split, fit, export, parity, profile, write.

Everything that can fail is checked before anything is written, so a failed run
leaves no model behind; ``manifest.json`` is written last and lists the digest of
every other artifact. An artifact directory is written once: where a manifest already
is, the run fails with ``ArtifactsExist`` before reading any data (and again, should one
appear meanwhile, before writing), so no run replaces a registered model's files.
The estimator, BLAS and OpenMP threads stay within the run's CPU limit (``cpus``).
Each step reports one JSON line of progress (step name, seconds, details) through the
``progress`` callable, stdout by default.
"""

from __future__ import annotations

import functools
import io
import json
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import fsspec
import numpy as np
import onnxruntime
import pyarrow as pa
import skl2onnx
import sklearn
from pyarrow import parquet
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

import modelops
from modelops.api.trainingrun import EstimatorName, Task, TrainingRunSpec, key_metric, task_of
from modelops.drift import profile
from modelops.runtime import artifacts
from modelops.runtime.train import (
    boosting,
    columns,
    datasets,
    errors,
    estimators,
    export,
    hashing,
    limits,
    metrics,
    split,
)
from modelops.runtime.train.errors import ArtifactsExist, InvalidDataset, TrainError

Progress = Callable[[Mapping[str, Any]], None]

#: Most training rows the drift reference is built from (a seeded sample beyond that).
REFERENCE_ROWS = 20_000
#: From this many rows the drift reference, row hashes and holdout are built on a second
#: thread during the fit (see ``_alongside``).
SIDE_THREAD_ROWS = 50_000

T = TypeVar("T")


def print_progress(line: Mapping[str, Any]) -> None:
    print(json.dumps(line, default=str), flush=True)


@dataclass(frozen=True)
class Result:
    """What a successful run produced; ``summary()`` is its termination message."""

    task: Task
    metrics: dict[str, float]
    key_metric: str | None
    digest: str
    artifact_uri: str
    dataset_uri: str
    dataset_digest: str
    rows: int
    features: int
    estimator: str
    params: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "ok": True,
            "task": self.task.value,
            "metrics": self.metrics,
            "keyMetric": self.key_metric,
            "digest": self.digest,
            "artifactUri": self.artifact_uri,
            "datasetUri": self.dataset_uri,
            "datasetDigest": self.dataset_digest,
            "rows": self.rows,
            "features": self.features,
            "estimator": self.estimator,
            "params": self.params,
        }


def train(
    spec: TrainingRunSpec,
    output: str,
    run: str,
    progress: Progress = print_progress,
    cpus: int = limits.DEFAULT_CPUS,
) -> Result:
    """Train the model ``spec`` describes and write its artifacts under ``output``.

    ``cpus`` is the run's CPU limit in whole cores (``limits.cpu_limit``).
    """
    task = Task(task_of(spec.estimator.name))
    params = estimators.effective_params(spec, cpus)
    estimators.estimator(spec, cpus)
    _refuse_written(output)
    # BLAS and OpenMP start a thread per core of the node unless told otherwise.
    with threadpool_limits(limits=cpus):
        return _train(spec, output, run, progress, cpus, task, params)


def _train(
    spec: TrainingRunSpec,
    output: str,
    run: str,
    progress: Progress,
    cpus: int,
    task: Task,
    params: dict[str, Any],
) -> Result:
    steps = _Steps(progress)

    with steps.step("load") as details:
        loaded = datasets.load(spec.dataset)
        table = loaded.table
        schema = columns.resolve(table, spec.dataset, spec.preprocessing.one_hot)
        target = columns.target_values(table, schema, task)
        numeric = columns.numeric_matrix(table, schema.numeric)
        categorical = {n: columns.categorical_values(table.column(n)) for n in schema.categorical}
        details.update(rows=table.num_rows, features=len(schema.names), digest=loaded.digest)

    with steps.step("split") as details:
        train_rows, holdout_rows = _split(spec, task, target)
        details.update(train=len(train_rows), holdout=len(holdout_rows))

    # What the drift monitor, the scanner and the leakage check need from the data does not
    # depend on the model: on large data it is built on a second thread during the fit.
    side_work = functools.partial(
        _side_artifacts, spec, table, schema, numeric, categorical, train_rows, holdout_rows
    )
    with _alongside(side_work, table.num_rows) as side:
        model = estimators.model(spec, schema, cpus)
        if task == Task.CLASSIFICATION:
            boosting.check_labels(EstimatorName(spec.estimator.name), target)
        with steps.step("fit") as details:
            fitted_categorical = {n: v[train_rows] for n, v in categorical.items()}
            _fit(model, _model_input(numeric[train_rows], fitted_categorical), target[train_rows])
            details.update(estimator=spec.estimator.name)
            if estimators.scaling_skipped(spec):
                details.update(
                    note="scaling skipped: tree models are unaffected by it, and it would make "
                    "the ONNX export disagree at split thresholds"
                )

        with steps.step("export") as details:
            onnx_model = export.convert(model, schema, task)
            details.update(bytes=len(onnx_model))

        with steps.step("parity") as details:
            held_numeric = numeric[holdout_rows]
            held_categorical = {n: v[holdout_rows] for n, v in categorical.items()}
            holdout_x = _model_input(held_numeric, held_categorical)
            expected = _expected(model, holdout_x)
            inputs = export.feeds(held_numeric, held_categorical)
            details.update(export.check_parity(onnx_model, inputs, task, expected))
            values = _metrics(model, task, target[holdout_rows], expected, holdout_x)
            key = key_metric(task, values)
            details.update(keyMetric=key)

        with steps.step("profile") as details:
            reference, train_hashes, holdout = side()
            details.update(reference=reference.rows, window=reference.window)

    with steps.step("write") as details:
        _refuse_written(output)
        written = {
            artifacts.REFERENCE: artifacts.write_json(
                artifacts.join(output, artifacts.REFERENCE), reference.to_dict()
            ),
            artifacts.HOLDOUT: artifacts.write_bytes(
                artifacts.join(output, artifacts.HOLDOUT), holdout
            ),
            artifacts.TRAIN_ROW_HASHES: artifacts.write_bytes(
                artifacts.join(output, artifacts.TRAIN_ROW_HASHES), train_hashes
            ),
            artifacts.METRICS: artifacts.write_json(
                artifacts.join(output, artifacts.METRICS),
                {
                    "task": task.value,
                    "keyMetric": key,
                    "metrics": values,
                    "holdoutRows": len(holdout_rows),
                },
            ),
            artifacts.MODEL: artifacts.write_bytes(
                artifacts.join(output, artifacts.MODEL), onnx_model
            ),
        }
        timings = steps.timings | {"write": steps.elapsed()}
        manifest = _manifest(spec, run, task, schema, loaded, (train_rows, holdout_rows))
        manifest |= {"params": params, "metrics": values, "keyMetric": key}
        manifest |= {"digest": written[artifacts.MODEL], "artifacts": written, "timings": timings}
        if task == Task.CLASSIFICATION:
            manifest["classes"] = _classes(model)
        artifacts.write_json(artifacts.join(output, artifacts.MANIFEST), manifest)
        details.update(uri=output)

    return Result(
        task=task,
        metrics=values,
        key_metric=key,
        digest=written[artifacts.MODEL],
        artifact_uri=output,
        dataset_uri=spec.dataset.uri,
        dataset_digest=loaded.digest,
        rows=table.num_rows,
        features=len(schema.names),
        estimator=spec.estimator.name,
        params=params,
    )


def _refuse_written(output: str) -> None:
    """ArtifactsExist where ``output`` already holds a finished run's manifest."""
    fs, path = fsspec.core.url_to_fs(output)
    if fs.exists(artifacts.join(path, artifacts.MANIFEST)):
        raise ArtifactsExist(
            f"{output} already holds a trained model ({artifacts.MANIFEST}); artifact "
            "directories are written once, so a registered model never changes under its "
            "digest: create a TrainingRun with another name, or point artifacts.uri elsewhere"
        )


def _manifest(
    spec: TrainingRunSpec,
    run: str,
    task: Task,
    schema: columns.Schema,
    loaded: datasets.LoadedDataset,
    split: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """The run's lineage: what was trained on which data, with which libraries."""
    return {
        "run": run,
        "model": spec.model,
        "task": task.value,
        "target": schema.target,
        "features": schema.features(),
        "estimator": spec.estimator.name,
        "preprocessing": spec.preprocessing.to_api(),
        "dataset": {
            "uri": spec.dataset.uri,
            "digest": loaded.digest,
            "rows": loaded.table.num_rows,
            "files": list(loaded.files),
            "trainRows": len(split[0]),
            "holdoutRows": len(split[1]),
            "holdoutFraction": spec.dataset.holdout_fraction,
            "seed": spec.dataset.seed,
        },
        "versions": _versions(),
    }


class _Steps:
    """Times each step and reports it as one progress line."""

    def __init__(self, progress: Progress) -> None:
        self.timings: dict[str, float] = {}
        self._progress = progress
        self._started = time.perf_counter()

    def elapsed(self) -> float:
        return round(time.perf_counter() - self._started, 6)

    @contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        details: dict[str, Any] = {}
        self._started = time.perf_counter()
        yield details
        seconds = self.elapsed()
        self.timings[name] = seconds
        self._progress({"step": name, "seconds": seconds, **details})


def _split(spec: TrainingRunSpec, task: Task, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seeded holdout split, stratified for classifiers; both halves keep the data's order."""
    train_rows, holdout_rows = split.holdout(
        target, spec.dataset.holdout_fraction, spec.dataset.seed, task == Task.CLASSIFICATION
    )
    if len(train_rows) < profile.MIN_ROWS:
        raise InvalidDataset(
            f"only {len(train_rows)} training rows after the holdout split; "
            f"the drift reference needs at least {profile.MIN_ROWS}: add rows"
        )
    return train_rows, holdout_rows


@contextmanager
def _alongside(work: Callable[[], T], rows: int) -> Iterator[Callable[[], T]]:
    """``work``'s result, to be asked for within the block.

    From ``SIDE_THREAD_ROWS`` rows the work starts at once on a second thread (numpy, Arrow
    and hashlib release the GIL for their heavy parts), and BLAS keeps to one thread
    meanwhile: its own threads on top of ours oversubscribe the cores, and a linear model's
    fit at 1M rows took 1.0 s with them against 0.6 s without. Below that the work is done
    on this thread when asked for: it takes ~15 ms, less than a second thread costs a short
    fit in GIL contention, and than finding the BLAS libraries to limit (~9 ms).
    """
    if rows < SIDE_THREAD_ROWS:
        yield work
        return
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile") as pool,
    ):
        yield pool.submit(work).result


def _side_artifacts(
    spec: TrainingRunSpec,
    table: pa.Table,
    schema: columns.Schema,
    numeric: np.ndarray,
    categorical: dict[str, np.ndarray],
    train_rows: np.ndarray,
    holdout_rows: np.ndarray,
) -> tuple[profile.Reference, bytes, bytes]:
    """The drift reference, the training rows' hashes (as .npy) and the holdout (as Parquet)."""
    reference = _reference(spec, schema, numeric, categorical, train_rows)
    hashes = hashing.row_hashes(table.select(list(schema.names)), schema.categorical)
    holdout = table.take(pa.array(holdout_rows)).select([*schema.names, schema.target])
    return reference, _npy_bytes(hashes[train_rows]), _parquet_bytes(holdout)


def _reference(
    spec: TrainingRunSpec,
    schema: columns.Schema,
    numeric: np.ndarray,
    categorical: dict[str, np.ndarray],
    train_rows: np.ndarray,
) -> profile.Reference:
    """The drift reference of the training split, from a seeded sample of at most REFERENCE_ROWS.

    Quantiles and frequencies of 20,000 rows are as good a yardstick as those of millions,
    and the profile's cost stays flat as the dataset grows.
    """
    rows = train_rows
    if len(rows) > REFERENCE_ROWS:
        sample = np.random.default_rng(spec.dataset.seed).choice(
            len(rows), REFERENCE_ROWS, replace=False
        )
        rows = rows[np.sort(sample)]
    return profile.build_reference(
        {n: numeric[rows, j].astype(np.float64) for j, n in enumerate(schema.numeric)}
        | {n: v[rows] for n, v in categorical.items()},
        categorical=schema.categorical,
        seed=spec.dataset.seed,
    )


def _model_input(numeric: np.ndarray, categorical: dict[str, np.ndarray]) -> Any:
    """Rows as the model is fitted on them: float32, or an object matrix with categories."""
    if not categorical:
        return numeric
    return np.column_stack([numeric.astype(object), *categorical.values()])


def _fit(model: BaseEstimator, x: Any, y: np.ndarray) -> None:
    try:
        model.fit(x, y)
    except (ValueError, TypeError) as error:
        raise TrainError(f"fitting failed: {errors.describe(error)}") from None


def _expected(model: BaseEstimator, x: Any) -> export.Expected:
    probabilities = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return export.Expected(predictions=model.predict(x), probabilities=probabilities)


def _metrics(
    model: BaseEstimator, task: Task, y: np.ndarray, expected: export.Expected, x: Any
) -> dict[str, float]:
    if task == Task.REGRESSION:
        return metrics.regression(y, expected.predictions)
    scores = None
    if expected.probabilities is None and hasattr(model, "decision_function"):
        scores = model.decision_function(x)
    return metrics.classification(
        y, expected.predictions, _classes(model), expected.probabilities, scores
    )


def _classes(model: BaseEstimator) -> list[Any]:
    classes: list[Any] = estimators.final_estimator(model).classes_.tolist()
    return classes


def _parquet_bytes(table: pa.Table) -> bytes:
    # Dictionary-encoding float columns costs ten times the write and rarely pays off.
    dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
    sink = pa.BufferOutputStream()
    parquet.write_table(table, sink, use_dictionary=dictionary)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _npy_bytes(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, values, allow_pickle=False)
    return buffer.getvalue()


def _versions() -> dict[str, str]:
    return {
        "modelops": modelops.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }

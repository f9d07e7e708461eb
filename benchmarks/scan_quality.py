"""Scan quality: planted flaws caught and false alarms on sound models, ours beside Giskard's.

Six real public tables that PyPI packages ship (nothing is downloaded at run time),
some with columns derived deterministically from them so that together they hold
missing values, strings, duplicates, skewed targets and year-like columns:

============== ====== ============================================================
table          task   source, and what is derived
============== ====== ============================================================
cancer_clinic  clf    scikit-learn's breast cancer; + ``exam_year`` (1995-2014) and
                      ``clinic`` (4 strings) from the row number; 4-6% of two
                      columns blanked (every 17th / 23rd row)
wine_repeated  clf    scikit-learn's wine, every row three times (a table of few
                      distinct rows: a random split shares most rows by chance)
digits         clf    scikit-learn's digits: 64 integer pixels, 10 classes
diabetes       reg    scikit-learn's diabetes, raw units; ``sex`` as strings
diabetes_cost  reg    the same; target ``40 * exp(progression / 55)`` dollars (skewed,
                      $63 to $21,000), ``visit_year`` (2000-2023) from the row number
stocks         reg    matplotlib's sample Stocks.csv (monthly prices 1990-2022, young
                      stocks missing early): the S&P 500 from eight stocks, ``year``
                      and ``month``
============== ====== ============================================================

Each table is trained by ``modelops train`` with two to four estimators: the sound
models. The first estimator is then trained again with one planted flaw at a time:

* leakage: a column that is the target plus a little noise;
* overlap: the sound model's holdout with 40% of its rows replaced by training rows;
* slice: the labels of a quarter of the rows (the top quartile of one feature)
  replaced by random ones (random classes; targets drawn from the whole column);
* fragile: the target made to alternate along one feature in steps of a tenth of its
  spread, so the model learns to flip on a move of 0.05 of that spread;
* overconfident (classifiers): the same estimator made to overfit (one unbagged
  tree of a forest; a boosting learning rate of 1 without regularisation).

Both scanners see the same ONNX models on the same holdouts; Giskard 2.x runs in its
own venv (see benchmarks/scan.py) through onnxruntime. A flaw counts as caught when
the scanner raises a *major* finding from the detector meant for it (Giskard:
Spurious Correlation or Data Leakage for leakage, Performance for the slice,
Robustness for fragility, Overconfidence); a sound model counts as a false alarm
when it gets any major finding.

    .venv/bin/python benchmarks/scan_quality.py           # ours and Giskard
    .venv/bin/python benchmarks/scan_quality.py --quick   # ours only
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scan as giskard_bench

from modelops.api.trainingrun import Task
from modelops.cli import main as modelops
from modelops.runtime import artifacts
from modelops.runtime.scan import scanner
from modelops.runtime.train import hashing

TARGET = "target"
OVERLAP = 0.4
#: A larger holdout than the trainer's default 0.2: the slices of small tables need rows.
HOLDOUT = 0.3
FRAGILE_STEP = 0.1
FLAWS = ("leakage", "overlap", "slice", "fragile", "overconfident")
#: Which of our findings catches each flaw: detector, and whether the metric is shared_rows.
OURS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "leakage": lambda f: f["detector"] == "leakage" and f.get("metric") != "shared_rows",
    "overlap": lambda f: f["detector"] == "leakage" and f.get("metric") == "shared_rows",
    "slice": lambda f: f["detector"] == "slice_bias",
    "fragile": lambda f: f["detector"] == "robustness",
    "overconfident": lambda f: f["detector"] == "calibration",
}
THEIRS: dict[str, set[str]] = {
    "leakage": {"Spurious Correlation", "Data Leakage"},
    "overlap": set(),
    "slice": {"Performance"},
    "fragile": {"Robustness"},
    "overconfident": {"Overconfidence"},
}
OVERFIT = {
    "RandomForestClassifier": {"n_estimators": 1, "bootstrap": False, "max_features": None},
    "HistGradientBoostingClassifier": {
        "learning_rate": 1.0,
        "max_iter": 300,
        "min_samples_leaf": 1,
        "early_stopping": False,
    },
}


@dataclass(frozen=True)
class Table:
    """One benchmark table: how to build it, which estimators, where to plant flaws."""

    name: str
    task: Task
    build: Callable[[], pa.Table]
    estimators: list[tuple[str, dict[str, Any]]]
    #: The feature whose top quartile gets random labels, and the one made fragile.
    slice_feature: str
    fragile_feature: str
    scaling: dict[str, str] = field(default_factory=dict)


@dataclass
class Case:
    """One model to scan: a sound one, or one with a planted flaw."""

    table: str
    estimator: str
    flaw: str | None
    folder: Path
    digest: str
    task: Task
    holdout: Path
    ours: list[dict[str, Any]] = field(default_factory=list)
    theirs: list[dict[str, Any]] | None = None
    theirs_error: str | None = None


def _safe(name: str) -> str:
    return name.strip().replace(" ", "_").replace("^", "").lower()


def cancer_clinic() -> pa.Table:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rows = np.arange(len(data.target))
    columns: dict[str, Any] = {_safe(n): data.data[:, i] for i, n in enumerate(data.feature_names)}
    columns["mean_smoothness"] = np.where(rows % 17 == 0, np.nan, columns["mean_smoothness"])
    columns["worst_texture"] = np.where(rows % 23 == 0, np.nan, columns["worst_texture"])
    columns["exam_year"] = 1995 + (rows * 7) % 20
    columns["clinic"] = np.array(["north", "south", "east", "west"])[(rows * 5) % 4]
    return pa.table({**columns, TARGET: data.target})


def wine_repeated() -> pa.Table:
    from sklearn.datasets import load_wine

    data = load_wine()
    columns = {_safe(n): np.repeat(data.data[:, i], 3) for i, n in enumerate(data.feature_names)}
    return pa.table({**columns, TARGET: np.repeat(data.target, 3)})


def digits() -> pa.Table:
    from sklearn.datasets import load_digits

    data = load_digits()
    columns = {f"px_{i // 8}_{i % 8}": data.data[:, i] for i in range(64)}
    return pa.table({**columns, TARGET: data.target})


def _diabetes() -> tuple[dict[str, Any], np.ndarray]:
    from sklearn.datasets import load_diabetes

    data = load_diabetes(scaled=False)
    columns: dict[str, Any] = {_safe(n): data.data[:, i] for i, n in enumerate(data.feature_names)}
    columns["sex"] = np.where(columns["sex"] == 1, "female", "male")
    return columns, data.target


def diabetes() -> pa.Table:
    columns, target = _diabetes()
    return pa.table({**columns, TARGET: target})


def diabetes_cost() -> pa.Table:
    columns, target = _diabetes()
    rows = np.arange(len(target))
    columns["visit_year"] = 2000 + (rows * 11) % 24
    return pa.table({**columns, TARGET: np.round(40 * np.exp(target / 55), 2)})


def stocks() -> pa.Table:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv"
    table = pa.csv.read_csv(path, read_options=pa.csv.ReadOptions(skip_rows=1))
    dates = table.column("Date").to_pylist()
    columns: dict[str, Any] = {
        _safe(name): table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        for name in ("IBM", "AAPL", "MSFT", "XRX", "AMZN", "DELL", "GOOGL", "ADBE")
    }
    columns["year"] = np.array([int(str(d)[:4]) for d in dates])
    columns["month"] = np.array([int(str(d)[5:7]) for d in dates])
    target = table.column("^GSPC").to_numpy(zero_copy_only=False).astype(np.float64)
    known = np.isfinite(target)
    return pa.table({**{n: v[known] for n, v in columns.items()}, TARGET: target[known]})


CLASSIFIERS = [
    ("RandomForestClassifier", {"n_estimators": 100}),
    ("HistGradientBoostingClassifier", {}),
    ("ExtraTreesClassifier", {"n_estimators": 100}),
    ("LogisticRegression", {"max_iter": 5000}),
]
REGRESSORS = [
    ("RandomForestRegressor", {"n_estimators": 100}),
    ("GradientBoostingRegressor", {}),
    ("ExtraTreesRegressor", {"n_estimators": 100}),
    ("Ridge", {}),
]
WITH_MISSING_CLF = [
    ("HistGradientBoostingClassifier", {}),
    ("HistGradientBoostingClassifier", {"max_depth": 3, "learning_rate": 0.05, "max_iter": 300}),
]
WITH_MISSING_REG = [
    ("HistGradientBoostingRegressor", {}),
    ("HistGradientBoostingRegressor", {"max_depth": 3, "learning_rate": 0.05, "max_iter": 300}),
    ("HistGradientBoostingRegressor", {"max_leaf_nodes": 15, "l2_regularization": 1.0}),
]

TABLES = [
    Table(
        "cancer_clinic",
        Task.CLASSIFICATION,
        cancer_clinic,
        WITH_MISSING_CLF,
        "worst_radius",
        "mean_texture",
    ),
    Table("wine_repeated", Task.CLASSIFICATION, wine_repeated, CLASSIFIERS, "proline", "alcohol"),
    Table("digits", Task.CLASSIFICATION, digits, CLASSIFIERS, "px_3_4", "px_2_5"),
    Table("diabetes", Task.REGRESSION, diabetes, REGRESSORS, "bmi", "bp"),
    Table("diabetes_cost", Task.REGRESSION, diabetes_cost, REGRESSORS, "s5", "bp"),
    Table("stocks", Task.REGRESSION, stocks, WITH_MISSING_REG, "year", "ibm"),
]


def _spread(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    low, high = np.quantile(finite, [0.25, 0.75])
    return float(high - low) / 1.349 or float(finite.std())


def plant(flaw: str, table: pa.Table, spec: Table) -> pa.Table:
    """The table with one flaw planted (overlap and overconfidence are planted elsewhere)."""
    rng = np.random.default_rng(7)
    y = table.column(TARGET).to_numpy().astype(np.float64)
    classifier = spec.task == Task.CLASSIFICATION
    classes = np.unique(y)
    if flaw == "leakage":
        noise = rng.normal(0, 0.1 if classifier else 0.05 * y.std(), len(y))
        return table.append_column("outcome_code", pa.array(y + noise))
    if flaw == "slice":
        values = table.column(spec.slice_feature).to_numpy(zero_copy_only=False)
        inside = values > np.nanquantile(values, 0.75)
        random = rng.choice(classes, len(y)) if classifier else rng.choice(y, len(y))
        labels = np.where(inside, random, y)
        return _with_target(table, labels, classifier)
    if flaw == "fragile":
        values = table.column(spec.fragile_feature).to_numpy(zero_copy_only=False)
        step = FRAGILE_STEP * _spread(values.astype(np.float64))
        parity = np.nan_to_num(np.floor(values / step) % 2).astype(np.int64)
        if classifier:
            index = np.searchsorted(classes, y)
            labels = classes[(index + parity) % len(classes)]
        else:
            labels = y + parity * 2.0 * y.std()
        return _with_target(table, labels, classifier)
    raise ValueError(flaw)


def _with_target(table: pa.Table, labels: np.ndarray, classifier: bool) -> pa.Table:
    index = table.column_names.index(TARGET)
    values = labels.astype(np.int64) if classifier else labels
    return table.set_column(index, TARGET, pa.array(values))


def train(folder: Path, table: pa.Table, spec: Table, name: str, params: dict[str, Any]) -> str:
    """Train with ``modelops train`` into ``folder``; return the model's digest."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data.parquet"
    pq.write_table(table, data)
    strings = [n for n in table.column_names if pa.types.is_string(table.schema.field(n).type)]
    linear = name in ("LogisticRegression", "Ridge")
    run = {
        "model": "bench",
        "dataset": {"uri": data.as_uri(), "target": TARGET, "holdoutFraction": HOLDOUT},
        "estimator": {"name": name, "params": params},
        "preprocessing": {"oneHot": bool(strings), "scaling": "standard" if linear else "none"},
    }
    termination = folder / "termination"
    os.environ["MODELOPS_TERMINATION_MESSAGE_PATH"] = str(termination)
    output = folder / "model"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = modelops(
            ["train", "--spec", json.dumps(run), f"--output={output.as_uri()}", "--run=r"]
        )
    summary = json.loads(termination.read_text())
    if code != 0:
        raise RuntimeError(f"{spec.name} {name}: {summary.get('message')}")
    return str(summary["digest"])


def overlapping_holdout(folder: Path, table: pa.Table) -> Path:
    """The holdout with its first 40% of rows replaced by training rows."""
    model = folder / "model"
    holdout = pq.read_table(model / artifacts.HOLDOUT)
    train_hashes = np.load(model / artifacts.TRAIN_ROW_HASHES)
    manifest = json.loads((model / artifacts.MANIFEST).read_text())
    names = [f["name"] for f in manifest["features"]]
    categorical = {f["name"] for f in manifest["features"] if f["type"] == "categorical"}
    hashes = hashing.row_hashes(table.select(names), categorical)
    trained = np.flatnonzero(np.isin(hashes, train_hashes))
    count = int(OVERLAP * holdout.num_rows)
    rows = np.random.default_rng(3).choice(trained, count, replace=False)
    replaced = pa.concat_tables(
        [table.take(pa.array(rows)).select(holdout.column_names), holdout.slice(count)]
    )
    path = folder / "overlap.parquet"
    pq.write_table(replaced, path)
    return path


#: Models the trainer refused (an ONNX export that disagrees with the fitted model), by name.
SKIPPED: list[str] = []


def _trained(
    folder: Path, table: pa.Table, spec: Table, name: str, params: dict[str, Any]
) -> str | None:
    try:
        return train(folder, table, spec, name, params)
    except RuntimeError as error:
        SKIPPED.append(str(error)[:120])
        return None


def build_cases(root: Path) -> list[Case]:
    cases: list[Case] = []
    for spec in TABLES:
        base = spec.build()
        sound: Case | None = None
        for number, (name, params) in enumerate(spec.estimators):
            folder = root / spec.name / f"sound-{number}"
            digest = _trained(folder, base, spec, name, params)
            if digest is None:
                continue
            holdout = folder / "model" / artifacts.HOLDOUT
            cases.append(Case(spec.name, name, None, folder, digest, spec.task, holdout))
            if number == 0:
                sound = cases[-1]
        name, params = spec.estimators[0]
        for flaw in FLAWS:
            if flaw == "overconfident" and spec.task != Task.CLASSIFICATION:
                continue
            folder = root / spec.name / flaw
            if flaw == "overlap":
                if sound is not None:
                    holdout = overlapping_holdout(sound.folder, base)
                    cases.append(
                        Case(spec.name, name, flaw, sound.folder, sound.digest, spec.task, holdout)
                    )
                continue
            if flaw == "overconfident":
                digest = _trained(folder, base, spec, name, {**params, **OVERFIT[name]})
            else:
                digest = _trained(folder, plant(flaw, base, spec), spec, name, params)
            if digest is not None:
                holdout = folder / "model" / artifacts.HOLDOUT
                cases.append(Case(spec.name, name, flaw, folder, digest, spec.task, holdout))
        print(f"trained {spec.name}", file=sys.stderr)
    return cases


def scan_ours(case: Case) -> None:
    result = scanner.run(
        scanner.ScanRequest(
            artifact_uri=(case.folder / "model").as_uri(),
            digest=case.digest,
            task=case.task,
            holdout_uri=case.holdout.as_uri(),
        )
    )
    case.ours = [f.to_api() for f in result.findings]


GISKARD_SCRIPT = """
import json, sys, time, traceback
import numpy as np, pandas as pd, onnxruntime, giskard
jobs = json.load(open(sys.argv[1]))
out = {}
for job in jobs:
    try:
        manifest = json.load(open(job["folder"] + "/manifest.json"))
        features = manifest["features"]
        numeric = [f["name"] for f in features if f["type"] == "numeric"]
        strings = [f["name"] for f in features if f["type"] == "categorical"]
        session = onnxruntime.InferenceSession(job["folder"] + "/model.onnx")
        classifier = job["task"] == "classification"
        def predict(df, session=session, numeric=numeric, strings=strings, classifier=classifier):
            feeds = {"input": df[numeric].to_numpy(dtype=np.float32)} if numeric else {}
            for name in strings:
                feeds[name] = df[name].fillna("").astype(str).to_numpy(dtype=object).reshape(-1, 1)
            if classifier:
                return session.run(["probabilities"], feeds)[0]
            return session.run(None, feeds)[0].reshape(-1)
        frame = pd.read_csv(job["holdout"], dtype={name: str for name in strings})
        frame = frame[[*numeric, *strings, "target"]]
        dataset = giskard.Dataset(frame, target="target", cat_columns=strings)
        model = giskard.Model(
            model=predict, model_type="classification" if classifier else "regression",
            classification_labels=manifest.get("classes") if classifier else None,
            feature_names=[*numeric, *strings],
        )
        start = time.perf_counter()
        report = giskard.scan(model, dataset, verbose=False, raise_exceptions=True)
        issues = [
            {"group": i.group.name if i.group else type(i).__name__,
             "severity": i.level.name.lower(), "features": list(i.features or [])}
            for i in report.issues
        ]
        out[job["id"]] = {"issues": issues, "seconds": time.perf_counter() - start}
    except Exception as error:
        out[job["id"]] = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
    json.dump(out, open(sys.argv[2], "w"))
"""


def scan_giskard(cases: list[Case], root: Path) -> str | None:
    python = giskard_bench.giskard_python()
    if isinstance(python, str):
        return python
    # CSV, not Parquet: Giskard's numpy 1 has no pyarrow that imports.
    jobs = []
    for i, case in enumerate(cases):
        csv = root / f"holdout-{i}.csv"
        pyarrow.csv.write_csv(pq.read_table(case.holdout), csv)
        jobs.append(
            {
                "id": str(i),
                "folder": str(case.folder / "model"),
                "holdout": str(csv),
                "task": str(case.task),
            }
        )
    (root / "jobs.json").write_text(json.dumps(jobs))
    script = root / "giskard_quality.py"
    script.write_text(GISKARD_SCRIPT)
    environment = {**os.environ, "GSK_DISABLE_ANALYTICS": "True", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(python), str(script), str(root / "jobs.json"), str(root / "giskard.json")],
        capture_output=True,
        text=True,
        env=environment,
    )
    if not (root / "giskard.json").exists():
        return "scan failed: " + giskard_bench._first_line(giskard_bench._last_error(done.stderr))
    results = json.loads((root / "giskard.json").read_text())
    for i, case in enumerate(cases):
        entry = results.get(str(i), {"error": "not run"})
        case.theirs = entry.get("issues")
        case.theirs_error = entry.get("error")
    return None


def _caught_ours(case: Case) -> bool:
    assert case.flaw is not None
    return any(f["severity"] == "major" and OURS[case.flaw](f) for f in case.ours)


def _caught_theirs(case: Case) -> bool | None:
    if case.theirs is None:
        return None
    assert case.flaw is not None
    groups = THEIRS[case.flaw]
    return any(i["severity"] == "major" and i["group"] in groups for i in case.theirs)


def _alarm_ours(case: Case) -> bool:
    return any(f["severity"] == "major" for f in case.ours)


def _alarm_theirs(case: Case) -> bool | None:
    if case.theirs is None:
        return None
    return any(i["severity"] == "major" for i in case.theirs)


def _ratio(values: list[bool | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    text = f"{sum(known)}/{len(known)}"
    return text + (f" ({len(values) - len(known)} failed)" if len(known) < len(values) else "")


def report(cases: list[Case], giskard_note: str | None) -> str:
    planted = [c for c in cases if c.flaw is not None]
    sound = [c for c in cases if c.flaw is None]
    rows: list[tuple[str, str, str]] = []
    for flaw in FLAWS:
        mine = [c for c in planted if c.flaw == flaw]
        rows.append(
            (
                f"{flaw}: caught / planted",
                _ratio([_caught_ours(c) for c in mine]),
                _ratio([_caught_theirs(c) for c in mine]),
            )
        )
    ours_all = [_caught_ours(c) for c in planted]
    theirs_all = [_caught_theirs(c) for c in planted]
    rows.append(("all flaws: caught / planted", _ratio(ours_all), _ratio(theirs_all)))
    rows.append(
        (
            "sound models with a major finding",
            _ratio([_alarm_ours(c) for c in sound]),
            _ratio([_alarm_theirs(c) for c in sound]),
        )
    )
    width = max(len(r[0]) for r in rows)
    lines = [
        f"{len(TABLES)} tables, {len(sound)} sound models, {len(planted)} planted flaws",
        "",
        f"{'':<{width}}  {'modelops scan':>16}  {'giskard.scan':>16}",
        "-" * (width + 36),
    ]
    lines += [f"{name:<{width}}  {ours:>16}  {theirs:>16}" for name, ours, theirs in rows]
    if giskard_note:
        lines.append(f"\ngiskard.scan: {giskard_note}")
    lines.append("\nmisses and false alarms (ours):")
    for case in planted:
        if not _caught_ours(case):
            lines.append(f"  missed {case.flaw} on {case.table} ({case.estimator})")
    for case in sound:
        for f in case.ours:
            if f["severity"] == "major":
                where = f.get("feature") or f.get("slice") or ""
                lines.append(
                    f"  alarm on sound {case.table} ({case.estimator}): {f['detector']} {where}"
                )
    for skipped in SKIPPED:
        lines.append(f"  not trained (so not counted): {skipped}")
    errors = {c.theirs_error for c in cases if c.theirs_error}
    for error in sorted(errors)[:5]:
        lines.append(f"  giskard error: {error}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip Giskard")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        start = time.perf_counter()
        cases = build_cases(root)
        trained = time.perf_counter()
        for case in cases:
            scan_ours(case)
        ours_seconds = time.perf_counter() - trained
        note = "skipped (--quick)" if args.quick else None
        theirs_seconds = 0.0
        if not args.quick:
            before = time.perf_counter()
            note = scan_giskard(cases, root)
            theirs_seconds = time.perf_counter() - before
        print()
        print(report(cases, note))
        print(
            f"\ntraining {trained - start:.0f} s; scans: modelops {ours_seconds:.0f} s, "
            f"giskard {theirs_seconds:.0f} s"
        )


if __name__ == "__main__":
    main()

"""Scan benchmark: ``modelops scan`` against Giskard's ``giskard.scan`` on the same model and data.

A 100-tree RandomForest trained on 10,000 rows of a seeded 20-feature classification
task, scanned on 10,000 holdout rows. Ours runs the full command (digest check, ONNX
load, every detector, findings.json, report.html). Giskard 2.x (the last line with
the tabular scan; 3.x is about LLM agents) pins an older numpy than ours, so it runs
in its own venv under ``~/.cache/modelops-bench/giskard-venv``, created on first use,
on the same forest retrained there from the same seeded data (nothing is pickled).
If it cannot be installed or run, the table says so with the error's first line.

    .venv/bin/python benchmarks/scan.py           # ours and Giskard
    .venv/bin/python benchmarks/scan.py --quick   # ours only
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
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from modelops.cli import main as modelops
from modelops.runtime import artifacts

ROWS = 10_000
FEATURES = 20
TREES = 100
GISKARD_VENV = Path.home() / ".cache" / "modelops-bench" / "giskard-venv"
#: onnxruntime lets benchmarks/scan_quality.py hand Giskard the very ONNX models.
GISKARD_REQUIREMENTS = [
    "giskard>=2,<3",
    "pandas<3",
    "scikit-learn",
    "onnxruntime",
    "numpy<2",
]

#: Run inside Giskard's venv: retrain the same forest, scan, dump time and issues as JSON.
GISKARD_SCRIPT = """
import json, sys, time
import numpy as np, pandas as pd, giskard
from sklearn.ensemble import RandomForestClassifier
folder, trees = sys.argv[1], int(sys.argv[2])
load = lambda name: np.load(f"{folder}/{name}.npy", allow_pickle=False)
x_train, y_train, x_test, y_test = (load(n) for n in ("x_train", "y_train", "x_test", "y_test"))
names = [f"f{i}" for i in range(x_train.shape[1])]
forest = RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=1)
forest.fit(x_train, y_train)
frame = pd.DataFrame(x_test.astype(np.float64), columns=names)
frame["target"] = y_test
dataset = giskard.Dataset(frame, target="target", cat_columns=[])
model = giskard.Model(
    model=lambda df: forest.predict_proba(df[names].to_numpy(dtype=np.float32)),
    model_type="classification", classification_labels=[0, 1], feature_names=names,
)
start = time.perf_counter()
report = giskard.scan(model, dataset, verbose=False, raise_exceptions=True)
seconds = time.perf_counter() - start
issues = [
    {"detector": i.group.name if i.group else type(i).__name__, "severity": i.level.name.lower(),
     "feature": ",".join(i.features or []), "message": i.description}
    for i in report.issues
]
json.dump({"seconds": seconds, "issues": issues}, open(f"{folder}/giskard.json", "w"))
"""


def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = make_classification(
        n_samples=2 * ROWS,
        n_features=FEATURES,
        n_informative=8,
        n_redundant=4,
        flip_y=0.03,
        random_state=0,
    )
    x = x.astype(np.float32)
    return x[:ROWS], y[:ROWS], x[ROWS:], y[ROWS:]


def export(folder: Path, forest: RandomForestClassifier, x: np.ndarray, y: np.ndarray) -> str:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    names = [f"f{i}" for i in range(FEATURES)]
    onnx_model = convert_sklearn(
        forest,
        initial_types=[("input", FloatTensorType([None, FEATURES]))],
        options={id(forest): {"zipmap": False}},
    )
    data = onnx_model.SerializeToString()
    (folder / artifacts.MODEL).write_bytes(data)
    columns = {name: x[:, i] for i, name in enumerate(names)}
    pq.write_table(pa.table({**columns, "target": y}), folder / artifacts.HOLDOUT)
    manifest = {"features": [{"name": n, "type": "numeric"} for n in names], "classes": [0, 1]}
    (folder / artifacts.MANIFEST).write_text(json.dumps(manifest))
    return artifacts.sha256_digest(data)


def run_ours(folder: Path, digest: str) -> dict[str, Any]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = modelops(
            [
                "scan",
                f"--artifact-uri={folder.as_uri()}",
                f"--digest={digest}",
                "--task=classification",
            ]
        )
    seconds = time.perf_counter() - start
    document = json.loads((folder / artifacts.FINDINGS).read_text())
    issues = [
        {
            "detector": f["detector"],
            "severity": f["severity"],
            "feature": f.get("feature") or f.get("slice") or "",
            "message": f["message"],
        }
        for f in document["findings"]
    ]
    return {"seconds": seconds, "issues": issues, "exit": code, "timings": document["timings"]}


def giskard_python() -> Path | str:
    """The Python of Giskard's venv, created on first use; or why it cannot be had."""
    python = GISKARD_VENV / "bin" / "python"
    if python.exists():
        check = [str(python), "-c", "import giskard, onnxruntime"]
        if subprocess.run(check, capture_output=True).returncode == 0:
            return python
    print(
        f"installing {' '.join(GISKARD_REQUIREMENTS)} into {GISKARD_VENV} (once) ...",
        file=sys.stderr,
    )
    GISKARD_VENV.parent.mkdir(parents=True, exist_ok=True)
    commands = [[str(python), "-m", "pip", "install", "-q", *GISKARD_REQUIREMENTS]]
    if not python.exists():
        commands.insert(0, [sys.executable, "-m", "venv", str(GISKARD_VENV)])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return "install failed: " + _first_line(done.stderr or done.stdout)
    return python


def run_giskard(folder: Path) -> dict[str, Any]:
    python = giskard_python()
    if isinstance(python, str):
        return {"error": python}
    script = folder / "giskard_scan.py"
    script.write_text(GISKARD_SCRIPT)
    environment = {**os.environ, "GSK_DISABLE_ANALYTICS": "True", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(python), str(script), str(folder), str(TREES)],
        capture_output=True,
        text=True,
        env=environment,
    )
    if done.returncode != 0:
        return {"error": "scan failed: " + _first_line(_last_error(done.stderr))}
    result: dict[str, Any] = json.loads((folder / "giskard.json").read_text())
    return result


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:160] if lines else "(no output)"


def _last_error(stderr: str) -> str:
    """The exception line of a traceback, which says more than its first line."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return errors[-1] if errors else "\n".join(lines)


def describe(issues: list[dict[str, Any]]) -> list[str]:
    """One line per detector: number of findings by severity and the features concerned."""
    by_detector: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        by_detector.setdefault(issue["detector"], []).append(issue)
    lines = []
    for detector, found in sorted(by_detector.items()):
        severities = Counter(i["severity"] for i in found)
        counts = " ".join(f"{n} {s}" for s, n in sorted(severities.items()))
        features = sorted({i["feature"] for i in found if i["feature"]})
        shown = ", ".join(features[:4]) + (" ..." if len(features) > 4 else "")
        lines.append(f"{detector}: {counts}" + (f" ({shown})" if shown else ""))
    return lines or ["no findings"]


def table(rows: list[tuple[str, str, list[str]]]) -> str:
    width = max(len(name) for name, _, _ in rows)
    out = [f"{'scanner':<{width}}  {'time':>9}  findings", "-" * (width + 60)]
    for name, seconds, findings in rows:
        out.append(f"{name:<{width}}  {seconds:>9}  {findings[0]}")
        out += [f"{'':<{width}}  {'':>9}  {line}" for line in findings[1:]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip Giskard")
    args = parser.parse_args()
    x_train, y_train, x_test, y_test = dataset()
    forest = RandomForestClassifier(n_estimators=TREES, random_state=0, n_jobs=1)
    forest.fit(x_train, y_train)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        digest = export(folder, forest, x_test, y_test)
        for name, values in (
            ("x_train", x_train),
            ("y_train", y_train),
            ("x_test", x_test),
            ("y_test", y_test),
        ):
            np.save(folder / f"{name}.npy", values)
        ours = run_ours(folder, digest)
        rows = [("modelops scan", f"{ours['seconds']:.1f} s", describe(ours["issues"]))]
        if args.quick:
            rows.append(("giskard.scan", "-", ["skipped (--quick)"]))
        else:
            theirs = run_giskard(folder)
            if "error" in theirs:
                rows.append(("giskard.scan", "-", [theirs["error"]]))
            else:
                rows.append(
                    ("giskard.scan", f"{theirs['seconds']:.1f} s", describe(theirs["issues"]))
                )
    print(f"\n{TREES}-tree RandomForest, {ROWS} holdout rows x {FEATURES} features\n")
    print(table(rows))
    steps = ", ".join(f"{step} {seconds:.2f}" for step, seconds in ours["timings"].items())
    print(f"\nmodelops scan steps (s): {steps}")


if __name__ == "__main__":
    main()

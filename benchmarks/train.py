"""Trainer overhead: `modelops train` against a bare fit + to_onnx on the same data.

The peer is what a data scientist would write by hand: read the Parquet file, split
off the same holdout, fit the same estimator, convert it with skl2onnx. The trainer
does that plus dataset digest, feature checks, parity on the holdout, metrics, the
drift reference, row hashes and writing every artifact, entered as the pod enters it
(``modelops train``'s main: spec parsing, progress lines). Each case runs in a fresh
process, so its peak resident memory (ru_maxrss) is its own; times exclude the
interpreter's start and imports, which both sides share. Goal: ratio <= 1.2.

Estimators: LogisticRegression, whose fit is so cheap that the ratio is the trainer's
own fixed cost laid bare; the sample TrainingRun's random forest, where the fit is the
work a user is waiting for; and XGBoost and LightGBM (the ``boosting`` extra), whose
peer converts with onnxmltools' ``convert_xgboost`` / ``convert_lightgbm`` as their users
do. Every side fits on one thread (the trainer's default CPU limit). Goals for the
boosting ones (issue 17): fixed overhead <= 60 ms at 10k rows, ratio <= 1.2 at 100k.

    .venv/bin/python benchmarks/train.py             # every case (about 5 minutes)
    .venv/bin/python benchmarks/train.py --quick     # LogisticRegression, 10k rows
    .venv/bin/python benchmarks/train.py --boosting  # XGBoost and LightGBM only
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FEATURES = 20
SEED = 0
#: The cheapest fit, which lays the trainer's own cost bare, and the sample TrainingRun's.
ESTIMATORS: dict[str, dict[str, int]] = {
    "LogisticRegression": {"max_iter": 100},
    "RandomForestClassifier": {"n_estimators": 100, "max_depth": 8},
    "XGBClassifier": {"n_estimators": 100, "max_depth": 6, "n_jobs": 1},
    "LGBMClassifier": {"n_estimators": 100, "num_leaves": 31, "n_jobs": 1},
}
BOOSTING = ("XGBClassifier", "LGBMClassifier")
#: (estimator, rows, how many times each side runs: the fastest run counts). The forest
#: stops at 100k rows: at 1M its fit alone takes minutes per run.
CASES = [
    ("LogisticRegression", 10_000, 9),
    ("LogisticRegression", 100_000, 3),
    ("LogisticRegression", 1_000_000, 2),
    ("RandomForestClassifier", 10_000, 3),
    ("RandomForestClassifier", 100_000, 2),
    ("XGBClassifier", 10_000, 5),
    ("XGBClassifier", 100_000, 2),
    ("LGBMClassifier", 10_000, 5),
    ("LGBMClassifier", 100_000, 2),
]


def make_data(rows: int, path: Path) -> None:
    import numpy as np
    import pyarrow as pa
    from pyarrow import parquet
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=rows, n_features=FEATURES, n_informative=8, random_state=SEED
    )
    columns = {f"f{i}": x[:, i] for i in range(FEATURES)}
    columns["target"] = y.astype(np.int64)
    parquet.write_table(pa.table(columns), path)


def run_trainer(estimator: str, data: Path, output: Path) -> None:
    """What the trainer pod runs: ``modelops train``'s entry point, imports already done."""
    from modelops.runtime.train import command

    spec = {
        "model": "bench",
        "dataset": {"uri": data.as_uri(), "seed": SEED},
        "estimator": {"name": estimator, "params": ESTIMATORS[estimator]},
    }
    args = argparse.Namespace(
        spec=json.dumps(spec), spec_env=None, output=output.as_uri(), run="bench"
    )
    if command.main(args) != 0:
        raise SystemExit("the trainer failed")


def run_baseline(estimator: str, data: Path, output: Path) -> None:
    import numpy as np
    from pyarrow import parquet
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    kind: dict[str, Any] = {
        "LogisticRegression": LogisticRegression,
        "RandomForestClassifier": RandomForestClassifier,
    }
    if estimator in BOOSTING:
        from lightgbm import LGBMClassifier
        from xgboost import XGBClassifier

        # Quiet, as the trainer sets them: LightGBM's warnings would go to stdout.
        kind |= {
            "XGBClassifier": functools.partial(XGBClassifier, verbosity=0),
            "LGBMClassifier": functools.partial(LGBMClassifier, verbose=-1),
        }
    table = parquet.read_table(data)
    names = [n for n in table.column_names if n != "target"]
    x = np.column_stack([table.column(n).to_numpy() for n in names]).astype(np.float32)
    y = table.column("target").to_numpy()
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)
    model = kind[estimator](random_state=SEED, **ESTIMATORS[estimator]).fit(x_train, y_train)
    types = [("input", FloatTensorType([None, len(names)]))]
    if estimator in BOOSTING:
        import onnxmltools
        from onnxmltools.convert.common.data_types import FloatTensorType as MlFloatTensorType

        ml_types = [("input", MlFloatTensorType([None, len(names)]))]
        if estimator == "XGBClassifier":
            onnx_model = onnxmltools.convert_xgboost(model, initial_types=ml_types)
        else:
            onnx_model = onnxmltools.convert_lightgbm(model, initial_types=ml_types, zipmap=False)
    else:
        onnx_model = to_onnx(model, initial_types=types, options={"zipmap": False})
    output.mkdir(parents=True, exist_ok=True)
    (output / "model.onnx").write_bytes(onnx_model.SerializeToString())


def worker(side: str, estimator: str, data: Path, output: Path) -> None:
    """One measured run in this process; prints seconds and peak memory as JSON."""
    # Imports are not what we measure; both sides load the same libraries first. Both also
    # freeze what the imports built, as `modelops train` does, so a full garbage collection
    # over it (~0.1 s) lands on neither side by the luck of allocation counts.
    import modelops.runtime.train.spec
    import modelops.runtime.train.trainer  # noqa: F401

    if estimator in BOOSTING:
        import lightgbm  # noqa: F401
        import onnxmltools  # noqa: F401
        import xgboost  # noqa: F401

    gc.freeze()

    start = time.perf_counter()
    (run_trainer if side == "trainer" else run_baseline)(estimator, data, output)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def measure(side: str, estimator: str, data: Path, output: Path) -> dict[str, float]:
    worker = ["--worker", side, "--estimator", estimator, "--data", str(data), "--out", str(output)]
    result = subprocess.run(
        [sys.executable, __file__, *worker], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{side} {estimator} failed:\n{result.stderr[-2000:]}")
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only LogisticRegression, 10k rows")
    parser.add_argument("--boosting", action="store_true", help="only XGBoost and LightGBM")
    parser.add_argument("--worker", choices=["trainer", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--estimator", choices=list(ESTIMATORS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.estimator, args.data, args.out)
        return
    cases = CASES[:1] if args.quick else CASES
    if args.boosting:
        cases = [case for case in CASES if case[0] in BOOSTING]
    print(f"{FEATURES} features, holdout 0.2; best of N runs per side; goal: ratio <= 1.2")
    header = (
        f"{'estimator':<22} {'rows':>9} {'N':>2} {'fit+to_onnx s':>13} {'trainer s':>9} "
        f"{'overhead ms':>11} {'ratio':>6} {'peer MiB':>8} {'trainer MiB':>11}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for estimator, rows, repeats in cases:
            data = Path(tmp) / f"data-{rows}.parquet"
            if not data.exists():
                make_data(rows, data)
            peer, ours = [], []
            for i in range(repeats):  # interleaved, so a busy moment hits both sides
                # A fresh directory each run, as a new TrainingRun gets: writing over last
                # run's files would make the filesystem flush them first (ext4 auto_da_alloc).
                where = Path(tmp) / f"{estimator}-{rows}-{i}"
                peer.append(measure("baseline", estimator, data, where / "peer"))
                ours.append(measure("trainer", estimator, data, where / "run"))
            peer_s = min(r["seconds"] for r in peer)
            ours_s = min(r["seconds"] for r in ours)
            print(
                f"{estimator:<22} {rows:>9,} {repeats:>2} {peer_s:>13.3f} {ours_s:>9.3f} "
                f"{(ours_s - peer_s) * 1000:>11.0f} {ours_s / peer_s:>6.2f} "
                f"{max(r['peak_mib'] for r in peer):>8.0f} "
                f"{max(r['peak_mib'] for r in ours):>11.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Drift detection benchmark: our detector against two common peers on one seeded stream.

The stream has 30 features (a correlated block of ten, skewed and heavy-tailed marginals);
the reference is 10,000 rows and windows are 500 rows. For each method it reports false
alarms in clean windows, detection delay in windows after three kinds of change, and time
per window; then the per-row cost of ``DriftMonitor.observe``.

    .venv/bin/python benchmarks/drift.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from modelops.drift import detector, profile

FEATURES = 30
WINDOW = 500
REFERENCE_ROWS = 10_000
SHIFTED = [0, 12, 25]
PAIR = (20, 21)
MAX_DELAY = 10

Matrix = NDArray[np.float64]
Detector = Callable[[Matrix], bool]


def stream(rng: np.random.Generator, rows: int, change: str | None, ref: Matrix) -> Matrix:
    z = rng.normal(size=(rows, FEATURES))
    factor = rng.normal(size=(rows, 1))
    z[:, :10] = 0.7 * z[:, :10] + np.sqrt(0.51) * factor
    if change == "covariance":
        a, b = PAIR
        z[:, b] = 0.8 * z[:, a] + 0.6 * z[:, b]
    x = z.copy()
    x[:, 1::3] = np.exp(0.5 * z[:, 1::3])
    x[:, 2::3] = z[:, 2::3] ** 3 / 3 + z[:, 2::3]
    if change == "mean":
        x[:, SHIFTED] += 0.25 * ref[:, SHIFTED].std(axis=0)
    if change == "scale":
        center = ref[:, SHIFTED].mean(axis=0)
        x[:, SHIFTED] = center + 1.5 * (x[:, SHIFTED] - center)
    return x


def ours(ref: profile.Reference) -> Detector:
    names = ref.numeric_features

    def drifted(window: Matrix) -> bool:
        columns = {name: window[:, i] for i, name in enumerate(names)}
        return detector.evaluate(ref, columns).overall >= 1.0

    return drifted


def ks_bonferroni(reference: Matrix, alpha: float = 0.05) -> Detector:
    def drifted(window: Matrix) -> bool:
        p = [stats.ks_2samp(reference[:, i], window[:, i]).pvalue for i in range(FEATURES)]
        return min(p) < alpha / FEATURES

    return drifted


def psi_rule(reference: Matrix, bins: int = 10, limit: float = 0.2) -> Detector:
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1], axis=0)

    def shares(data: Matrix) -> Matrix:
        counts = np.stack(
            [
                np.bincount(np.searchsorted(edges[:, i], data[:, i]), minlength=bins)
                for i in range(FEATURES)
            ]
        )
        return np.maximum(counts / data.shape[0], 1e-4)

    expected = shares(reference)

    def drifted(window: Matrix) -> bool:
        actual = shares(window)
        return bool((((actual - expected) * np.log(actual / expected)).sum(axis=1) > limit).any())

    return drifted


def false_alarms(
    rng: np.random.Generator, ref: Matrix, method: Detector, windows: int
) -> tuple[int, float]:
    alarms, spent = 0, 0.0
    for _ in range(windows):
        window = stream(rng, WINDOW, None, ref)
        start = time.perf_counter()
        alarms += method(window)
        spent += time.perf_counter() - start
    return alarms, spent / windows * 1e3


def delay(rng: np.random.Generator, ref: Matrix, method: Detector, change: str, trials: int) -> str:
    delays = []
    for _ in range(trials):
        for k in range(1, MAX_DELAY + 1):
            if method(stream(rng, WINDOW, change, ref)):
                delays.append(k)
                break
        else:
            delays.append(MAX_DELAY + 1)
    if max(delays) > MAX_DELAY:
        missed = sum(d > MAX_DELAY for d in delays)
        return f"missed {missed}/{trials}"
    return f"{np.mean(delays):.2f} (max {max(delays)})"


def observe_cost(ref: profile.Reference, rows: Matrix, batch: int) -> float:
    monitor = detector.DriftMonitor(ref, window=1000)
    batches = [rows[i : i + batch].astype(np.float32) for i in range(0, len(rows), batch)]
    start = time.perf_counter()
    for b in batches:
        monitor.observe(b)
    return (time.perf_counter() - start) / len(rows) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows and trials")
    args = parser.parse_args()
    clean, trials = (100, 5) if args.quick else (400, 20)
    rng = np.random.default_rng(0)
    reference = stream(rng, REFERENCE_ROWS, None, np.zeros((1, FEATURES)))
    start = time.perf_counter()
    ref = profile.build_reference({f"f{i}": reference[:, i] for i in range(FEATURES)})
    build = time.perf_counter() - start
    methods = {
        "modelops.drift (default)": ours(ref),
        "scipy KS + Bonferroni (0.05)": ks_bonferroni(reference),
        "numpy PSI > 0.2 (10 bins)": psi_rule(reference),
    }
    header = (
        f"{'method':<30}{'false alarms':>14}{'mean 0.25sd x3':>18}{'scale x1.5 x3':>18}"
        f"{'covariance':>18}{'ms/window':>11}"
    )
    print(
        f"30 features, reference {REFERENCE_ROWS} rows, windows of {WINDOW}; "
        f"delay in windows (1 = first window), mean over {trials} trials, up to {MAX_DELAY}"
    )
    print(header)
    print("-" * len(header))
    for name, method in methods.items():
        alarms, ms = false_alarms(np.random.default_rng(1), reference, method, clean)
        cells = [
            delay(np.random.default_rng(2), reference, method, c, trials)
            for c in ("mean", "scale", "covariance")
        ]
        print(
            f"{name:<30}{f'{alarms}/{clean}':>14}{cells[0]:>18}{cells[1]:>18}{cells[2]:>18}{ms:>11.3f}"
        )
    rows = stream(np.random.default_rng(3), 64_000 if not args.quick else 6_400, None, reference)
    monitor = detector.DriftMonitor(ref, window=WINDOW)
    monitor.observe(rows[:WINDOW])
    reports = 50
    start = time.perf_counter()
    for _ in range(reports):
        monitor.report()
    report_ms = (time.perf_counter() - start) / reports * 1e3
    print()
    print(
        f"build_reference: {build * 1e3:.0f} ms; "
        f"DriftMonitor.report (window {WINDOW}): {report_ms:.3f} ms"
    )
    for batch in (1, 64):
        print(
            f"DriftMonitor.observe, batch {batch:>2}: {observe_cost(ref, rows, batch):.3f} us/row"
        )


if __name__ == "__main__":
    main()

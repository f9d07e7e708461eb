"""Serving benchmark: `modelops serve` against Seldon MLServer and a bare aiohttp ceiling.

The same model (a 100-tree RandomForest on breast_cancer, exported to ONNX), the same load
generator (wrk POSTing a V2 JSON body), each server pinned to core 0 with taskset and wrk to
core 1, all on 127.0.0.1. Peers, measured in the same run so ratios survive a noisy machine:

- modelops: `modelops serve` with metrics, drift and validation on;
- MLServer 1.7 with its scikit-learn runtime, and with a minimal onnxruntime runtime
  (installed into their own virtual environment under ~/.cache/modelops-bench);
- aiohttp + onnxruntime: one handler around the same session, decoding the body the
  fastest way and doing nothing else (the ceiling of this architecture with the model);
- bare aiohttp: a handler that decodes the body and answers a constant (the HTTP ceiling).

Figures: requests/s at batch 1 with 64 connections, p50/p99 latency, predictions/s at
batch 64, and the server's resident memory after the runs.

    .venv/bin/python benchmarks/serving.py            # everything, 10 s per run
    .venv/bin/python benchmarks/serving.py --quick    # modelops and its ceiling, 5 s per run

Needs wrk (Debian: apt-get install wrk) and taskset (util-linux).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelops.local.kubelet.ports import free_port

HERE = Path(__file__).resolve().parent / "serving"
CACHE = Path.home() / ".cache" / "modelops-bench"
MLSERVER_VENV = CACHE / "mlserver-venv"
MLSERVER_PACKAGES = ["mlserver==1.7.*", "mlserver-sklearn", "uvloop<0.22", "onnxruntime"]
SERVER_CORE, WRK_CORE = "0", "1"
CONNECTIONS = 64


@dataclass
class Result:
    name: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    predictions: float | None = None
    rss_mb: float | None = None
    note: str = ""


def build_model(directory: Path) -> tuple[str, np.ndarray]:
    """Write model.onnx, reference.json and model.joblib; return the digest and the rows."""
    import joblib
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    from modelops.drift import profile
    from modelops.runtime import artifacts

    data = load_breast_cancer()
    features = data.data.astype(np.float32)
    estimator = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    estimator.fit(features, data.target)
    onnx_model = to_onnx(
        estimator,
        initial_types=[("input", FloatTensorType([None, features.shape[1]]))],
        final_types=[
            ("label", Int64TensorType([None])),
            ("probabilities", FloatTensorType([None, 2])),
        ],
        options={id(estimator): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    digest = artifacts.write_bytes(str(directory / artifacts.MODEL), onnx_model.SerializeToString())
    names = [str(name) for name in data.feature_names]
    reference = profile.build_reference({n: data.data[:, i] for i, n in enumerate(names)})
    artifacts.write_json(str(directory / artifacts.REFERENCE), reference.to_dict())
    joblib.dump(estimator, directory / "model.joblib")
    return digest, features


def v2_body(rows: np.ndarray) -> bytes:
    entry = {"name": "input", "shape": list(rows.shape), "datatype": "FP32"}
    entry["data"] = rows.reshape(-1).tolist()
    return json.dumps({"inputs": [entry]}).encode()


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


@contextlib.contextmanager
def running(command: list[str], ready_url: str, cwd: Path | None = None) -> Iterator[int]:
    """Start ``command`` on the server core; yield its pid once ``ready_url`` answers."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, *command], cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_ready(ready_url, process)
            except RuntimeError:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-3000:])
                raise
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
    return total / 1024


def wrk(url: str, body_file: Path, seconds: int) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 latency (ms) of wrk POSTing ``body_file`` to ``url``."""
    script = body_file.with_suffix(".lua")
    script.write_text(
        f'local f = io.open("{body_file}", "rb")\n'
        'wrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    command = ["taskset", "-c", WRK_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    output = subprocess.run(
        [*command, "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return rps, _percentile(output, "50%"), _percentile(output, "99%")


def _percentile(output: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def measure(
    name: str, url: str, pid: int, bodies: dict[int, Path], seconds: int, batched: bool = True
) -> Result:
    wrk(url, bodies[1], 2)  # warm-up
    rps, p50, p99 = wrk(url, bodies[1], seconds)
    result = Result(name, rps, p50, p99)
    if batched:
        result.predictions = wrk(url, bodies[64], seconds)[0] * 64
    result.rss_mb = rss_mb(pid)
    return result


def modelops(directory: Path, digest: str, bodies: dict[int, Path], seconds: int) -> Result:
    port = free_port()
    command = [
        sys.executable, "-m", "modelops", "serve", "--model-name", "cancer",
        "--model-version", "1", "--artifact-uri", directory.as_uri(), "--digest", digest,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/v2/health/ready") as pid:
        result = measure(
            "modelops serve (metrics+drift)", f"{base}/v2/models/cancer/infer", pid, bodies, seconds
        )
        with urllib.request.urlopen(f"{base}/metrics") as response:
            metrics = response.read().decode()
        if "modelops_drift_overall" not in metrics:
            result.note = "drift metrics missing!"
    return result


def ceiling(directory: Path, bodies: dict[int, Path], seconds: int) -> Result:
    port = free_port()
    command = [
        sys.executable,
        str(HERE / "onnx_ceiling.py"),
        str(port),
        str(directory / "model.onnx"),
    ]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/v2/health/ready") as pid:
        result = measure(
            "aiohttp + onnxruntime, nothing else",
            f"{base}/v2/models/cancer/infer",
            pid,
            bodies,
            seconds,
        )
    result.note = "ceiling with the model"
    return result


def bare(bodies: dict[int, Path], seconds: int) -> Result:
    port = free_port()
    command = [sys.executable, str(HERE / "bare_server.py"), str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/v2/health/ready") as pid:
        result = measure(
            "bare aiohttp handler",
            f"{base}/v2/models/cancer/infer",
            pid,
            bodies,
            seconds,
            batched=False,
        )
    result.note = "no model"
    return result


def ensure_mlserver() -> Path | None:
    binary = MLSERVER_VENV / "bin" / "mlserver"
    if binary.exists():
        return binary
    try:
        subprocess.run([sys.executable, "-m", "venv", str(MLSERVER_VENV)], check=True)
        pip = [str(MLSERVER_VENV / "bin" / "pip"), "install", "--quiet", *MLSERVER_PACKAGES]
        subprocess.run(pip, check=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as error:
        print(f"MLServer could not be installed: {error}", file=sys.stderr)
        return None
    return binary if binary.exists() else None


def mlserver(
    binary: Path, name: str, settings: dict[str, object], files: list[Path],
    bodies: dict[int, Path], seconds: int,
) -> Result:  # fmt: skip
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mlserver-") as root:
        model_dir = Path(root) / "cancer"
        model_dir.mkdir()
        for file in files:
            shutil.copy(file, model_dir / file.name)
        (model_dir / "model-settings.json").write_text(json.dumps({"name": "cancer", **settings}))
        server = {
            "debug": False, "parallel_workers": 0, "host": "127.0.0.1", "http_port": port,
            "grpc_port": free_port(), "metrics_port": free_port(),
        }  # fmt: skip
        (Path(root) / "settings.json").write_text(json.dumps(server))
        base = f"http://127.0.0.1:{port}"
        command = [str(binary), "start", root]
        with running(command, f"{base}/v2/models/cancer/ready", cwd=Path(root)) as pid:
            return measure(name, f"{base}/v2/models/cancer/infer", pid, bodies, seconds)


def print_table(results: list[Result]) -> None:
    def cell(value: float | None, digits: int = 0) -> str:
        return "n/a" if value is None else f"{value:,.{digits}f}"

    header = ("server", "req/s b1 c64", "p50 ms", "p99 ms", "pred/s b64", "RSS MB", "note")
    rows = [
        (r.name, cell(r.rps), cell(r.p50_ms, 2), cell(r.p99_ms, 2), cell(r.predictions),
         cell(r.rss_mb, 1), r.note)
        for r in results
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s runs, modelops and ceiling")
    parser.add_argument("--seconds", type=int, help="seconds per measured run")
    args = parser.parse_args()
    seconds = args.seconds or (5 if args.quick else 10)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install wrk util-linux)")
            return 1
    with tempfile.TemporaryDirectory(prefix="modelops-bench-") as tmp:
        directory = Path(tmp)
        digest, features = build_model(directory)
        bodies = {}
        for batch in (1, 64):
            bodies[batch] = directory / f"body-{batch}.json"
            bodies[batch].write_bytes(v2_body(features[:batch]))
        results = [modelops(directory, digest, bodies, seconds)]
        results.append(ceiling(directory, bodies, seconds))
        if not args.quick:
            binary = ensure_mlserver()
            if binary is None:
                results.append(Result("MLServer", note="could not be installed"))
            else:
                results.append(
                    mlserver(
                        binary, "MLServer + sklearn runtime",
                        {"implementation": "mlserver_sklearn.SKLearnModel",
                         "parameters": {"uri": "./model.joblib", "version": "1"}},
                        [directory / "model.joblib"], bodies, seconds,
                    )
                )  # fmt: skip
                results.append(
                    mlserver(
                        binary, "MLServer + onnxruntime runtime",
                        {"implementation": "onnx_runtime.OnnxModel",
                         "parameters": {"uri": "./model.onnx", "version": "1"}},
                        [directory / "model.onnx", HERE / "onnx_runtime.py"], bodies, seconds,
                    )
                )  # fmt: skip
            results.append(bare(bodies, seconds))
    print(f"\n{os.cpu_count()} cores; servers on core {SERVER_CORE}, wrk on core {WRK_CORE}; "
          f"{seconds} s per run, {CONNECTIONS} connections\n")  # fmt: skip
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reliability and security figures: the operator under API faults and kills, at scale, fed
invalid specs; the inference server under abuse, sustained load and a rolling update.

Every figure comes from a run made by this command, on 127.0.0.1 only, bounded in time:

    .venv/bin/python benchmarks/reliability.py            # the full table (~15 minutes)
    .venv/bin/python benchmarks/reliability.py --quick    # the CI sizes (~4 minutes)

It prints one table (figure, goal, result) and exits 1 if any goal is missed. The same
scenarios, at the quick sizes, are asserted by tests/reliability; the security properties
by tests/security. No peer is measured here: each figure is a property (converged or not,
errors or none) with an absolute goal, not a speed to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this file sees benchmarks/ on its path; the helpers import as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.reliability_lib import (
    invalid_specs,
    load,
    operator_scenarios,
    serve_abuse,
)
from benchmarks.reliability_lib.harness import LocalCluster


@dataclass(frozen=True)
class Sizes:
    runs: int
    deployments: int
    kills: int
    scale_runs: int
    invalid: int
    bad_requests: int
    load_seconds: int
    rollout_seconds: int
    timeouts: tuple[str, ...]
    """Server options for the slow-client probes (the quick run shortens the timeouts)."""


FULL = Sizes(100, 20, 5, 200, 50, 10_000, 60, 30, ())
QUICK = Sizes(10, 3, 1, 50, 10, 1_000, 10, 10, ("--idle-timeout", "3", "--body-timeout", "3"))
FAULT_RATE = 0.2


@dataclass
class Row:
    area: str
    figure: str
    value: str
    goal: str
    ok: bool


def _fmt(seconds: float) -> str:
    return f"{seconds:.1f} s"


def operator_rows(state: Path, sizes: Sizes, seed: int) -> list[Row]:
    rows = []
    started = time.monotonic()
    c = operator_scenarios.converge(
        state / "converge", sizes.runs, sizes.deployments, FAULT_RATE, sizes.kills, seed=seed
    )
    area = (
        f"operator: {sizes.runs} TrainingRuns + {sizes.deployments} ModelDeployments, "
        f"{c.fault_share:.0%} of API calls faulted, SIGKILLed {c.kills}x"
    )
    rows += [
        Row(
            area,
            "TrainingRuns Succeeded (model registered)",
            f"{c.runs_succeeded}/{c.runs}",
            f"{c.runs}/{c.runs}",
            c.runs_succeeded == c.runs,
        ),
        Row(
            area,
            "ModelDeployments Ready on their version",
            f"{c.deployments_ready}/{c.deployments}",
            f"{c.deployments}/{c.deployments}",
            c.deployments_ready == c.deployments,
        ),
        Row(
            area,
            "duplicate Jobs/ModelVersions/Deployments/Services",
            str(sum(len(v) for v in c.duplicates.values())),
            "0",
            not c.duplicates,
        ),
        Row(
            area,
            f"statuses gone backwards (of {c.statuses_recorded} recorded)",
            str(len(c.regressions)),
            "0",
            not c.regressions,
        ),
        Row(
            area,
            "operator exits not caused by the test",
            str(c.unexpected_exits),
            "0",
            c.unexpected_exits == 0,
        ),
        Row(
            area,
            f"faulted API answers (429/5xx/409) of {c.requests}",
            f"{c.faulted_requests} ({c.fault_share:.1%})",
            f">= {FAULT_RATE:.0%}",
            c.fault_share >= FAULT_RATE * 0.9,
        ),
        Row(area, "time to converge", _fmt(c.seconds), "reported", True),
    ]
    for problem in (c.regressions + [f"{k}: {v}" for k, v in c.duplicates.items()] + c.stuck)[:10]:
        print(f"  ! {problem}", file=sys.stderr)

    s = operator_scenarios.scale(state / "scale", sizes.scale_runs)
    area = f"operator: {sizes.scale_runs} TrainingRuns applied at once (no kubelet: Jobs not run)"
    rows += [
        Row(area, "Jobs created", f"{s.jobs}/{s.runs}", f"{s.runs}/{s.runs}", s.jobs == s.runs),
        Row(area, "time until every Job exists", _fmt(s.seconds), "<= 20 s", s.seconds <= 20),
        Row(
            area,
            "operator RSS after (peak)",
            f"{s.rss_mb:.0f} MB ({s.peak_rss_mb:.0f} MB)",
            "<= 150 MB",
            s.peak_rss_mb <= 150,
        ),
        Row(
            area,
            "duplicate Jobs",
            str(sum(len(v) for v in s.duplicates.values())),
            "0",
            not s.duplicates,
        ),
    ]

    mutations = invalid_specs.generate(sizes.invalid)
    with LocalCluster(state / "invalid") as cluster:
        i = invalid_specs.check(cluster, mutations)
    area = f"operator: {i.specs} generated invalid TrainingRuns (hypothesis)"
    rows += [
        Row(
            area,
            "refused at apply, 422 naming the field",
            str(i.rejected_at_apply),
            "reported",
            True,
        ),
        Row(
            area, "accepted, then Failed with a reason", str(i.failed_with_reason), "reported", True
        ),
        Row(area, "neither", str(len(i.wrong)), "0", not i.wrong),
        Row(
            area,
            "a valid run applied after them",
            i.valid_after,
            "Succeeded",
            i.valid_after == "Succeeded",
        ),
    ]
    for problem in i.wrong[:10]:
        print(f"  ! {problem}", file=sys.stderr)
    print(f"operator scenarios took {_fmt(time.monotonic() - started)}", file=sys.stderr)
    return rows


def server_rows(state: Path, sizes: Sizes, seed: int) -> list[Row]:
    rows = []
    artifacts = serve_abuse.build_model(state / "model")
    with serve_abuse.ServeProcess(artifacts, state / "serve.log") as server:
        a = asyncio.run(serve_abuse.fire(server, sizes.bad_requests, seed))
        area = f"serve: {a.requests:,} generated bad /infer requests ({len(a.by_kind)} kinds)"
        answered = ", ".join(f"{code}: {n}" for code, n in sorted(a.statuses.items()))
        rows += [
            Row(area, "answers", answered, "4xx only", not a.problems),
            Row(area, "5xx or no answer", str(len(a.problems)), "0", not a.problems),
            Row(
                area,
                "server up, a good request then succeeds",
                "yes" if a.alive_after and a.good_after else "no",
                "yes",
                a.alive_after and a.good_after,
            ),
        ]
        for problem in a.problems[:10]:
            print(f"  ! {problem}", file=sys.stderr)
        if load.wrk_available():
            w = load.steady(
                server.infer_url,
                serve_abuse.good_body(artifacts.rows[:1]).decode(),
                sizes.load_seconds,
            )
            area = f"serve: wrk {w.seconds} s at {w.connections} connections, 1 process"
            rows += [
                Row(
                    area,
                    "requests (req/s; p50, p99)",
                    f"{w.requests:,} ({w.requests_per_second:,.0f}/s; {w.p50_ms:.1f} ms, "
                    f"{w.p99_ms:.1f} ms)",
                    "reported",
                    True,
                ),
                Row(area, "non-2xx answers + socket errors", str(w.errors), "0", w.errors == 0),
            ]
    with serve_abuse.ServeProcess(artifacts, state / "limits.log", *sizes.timeouts) as server:
        limit_bound = 60.0 if not sizes.timeouts else 15.0
        m = asyncio.run(serve_abuse.limits(server, slow_limit=limit_bound))
        area = "serve: size and time bounds"
        rows += [
            Row(
                area,
                "9 MiB body (limit 8 MiB)",
                f"{m.oversized_status} in {m.oversized_seconds * 1000:.0f} ms",
                "413 < 1 s",
                m.oversized_status == 413 and m.oversized_seconds < 1,
            ),
            Row(
                area,
                "10 GiB declared, 64 KiB sent",
                f"{m.declared_oversized_status} in {m.declared_oversized_seconds * 1000:.0f} ms",
                "413 < 1 s",
                m.declared_oversized_status == 413 and m.declared_oversized_seconds < 1,
            ),
            Row(
                area,
                "64 KiB header",
                str(m.huge_header_status),
                "4xx",
                isinstance(m.huge_header_status, int) and 400 <= m.huge_header_status < 500,
            ),
            Row(
                area,
                f"{m.slowloris_clients} slowloris clients (headers 2 B/s): closed after",
                "never" if m.slowloris_closed_after is None else _fmt(m.slowloris_closed_after),
                f"< {limit_bound:.0f} s",
                m.slowloris_closed_after is not None,
            ),
            Row(
                area,
                "slow body (2 B/s): refused after",
                "never" if m.slow_body_closed_after is None else _fmt(m.slow_body_closed_after),
                f"< {limit_bound:.0f} s",
                m.slow_body_closed_after is not None,
            ),
            Row(
                area,
                "other clients meanwhile: served / failed",
                f"{m.served_during_slowloris} / {m.failed_during_slowloris}",
                "> 0 / 0",
                m.served_during_slowloris > 0 and m.failed_during_slowloris == 0,
            ),
        ]
    if load.wrk_available():
        r = load.rolling_update(state / "rollout", sizes.rollout_seconds)
        area = (
            f"serve: rolling update v{r.from_version} -> v{r.to_version} (2 replicas, local "
            f"cluster) under wrk {r.load.seconds} s at {r.load.connections} connections"
        )
        rows += [
            Row(area, "requests through the Service", f"{r.load.requests:,}", "reported", True),
            Row(
                area, "non-2xx answers + socket errors", str(r.load.errors), "0", r.load.errors == 0
            ),
            Row(
                area,
                "rollout time; version served after",
                f"{_fmt(r.rollout_seconds)}; v{r.served_after}",
                f"v{r.to_version}",
                r.served_after == str(r.to_version),
            ),
        ]
    else:
        rows.append(Row("serve: load", "wrk", "not installed", "apt-get install wrk", False))
    return rows


def print_table(rows: list[Row]) -> None:
    width = max(len(r.figure) for r in rows)
    value_width = max(len(r.value) for r in rows)
    goal_width = max(len(r.goal) for r in rows)
    area = None
    for row in rows:
        if row.area != area:
            area = row.area
            print(f"\n{area}")
        mark = "ok" if row.ok else "FAIL"
        print(
            f"  {row.figure:<{width}}  {row.value:>{value_width}}  {row.goal:<{goal_width}}  {mark}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the CI sizes")
    parser.add_argument("--seed", type=int, default=1, help="seed of faults, kills and inputs")
    parser.add_argument("--state", type=Path, help="where clusters keep state (default: temp)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="reliability-") as temporary:
        state = args.state or Path(temporary)
        started = time.monotonic()
        rows = operator_rows(state / "operator", sizes, args.seed)
        rows += server_rows(state / "serve", sizes, args.seed)
    print_table(rows)
    failed = [r for r in rows if not r.ok]
    print(
        f"\n{len(rows) - len(failed)}/{len(rows)} goals met in "
        f"{_fmt(time.monotonic() - started)} ({'quick' if args.quick else 'full'} sizes, "
        f"seed {args.seed})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo's results: a timeline table, and drift and served version plotted over time."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    seconds: float
    drift: float | None
    version: int | None


def timeline_table(events: list[tuple[float, str]]) -> str:
    """Each transition with its time since the demo started, as an aligned text table."""
    width = max((len(text) for _, text in events), default=10)
    lines = [f"{'t (s)':>7}  {'event':<{width}}", f"{'-' * 7}  {'-' * width}"]
    lines += [f"{seconds:7.1f}  {text:<{width}}" for seconds, text in events]
    return "\n".join(lines)


def _polyline(points: list[tuple[float, float]], sx: float, sy: float, height: float) -> str:
    return " ".join(f"{40 + x * sx:.1f},{height - 30 - y * sy:.1f}" for x, y in points)


def svg(samples: list[Sample], threshold: float, shift_at: float | None) -> str:
    """An SVG line chart: drift score (left axis) and served version (step, right axis)."""
    width, height = 900.0, 360.0
    end = max((s.seconds for s in samples), default=1.0) or 1.0
    top = max([threshold * 1.5, *(s.drift for s in samples if s.drift is not None)])
    top_version = max([1, *(s.version for s in samples if s.version is not None)]) + 0.5
    sx, sy = (width - 80) / end, (height - 60) / top
    sv = (height - 60) / top_version
    drift = [(s.seconds, s.drift) for s in samples if s.drift is not None]
    version = [(s.seconds, float(s.version)) for s in samples if s.version is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<line x1="40" y1="{height - 30}" x2="{width - 40}" y2="{height - 30}" stroke="#444"/>',
        '<text x="40" y="20">drift score (blue), served version (orange); '
        f"threshold {threshold}</text>",
        f'<line x1="40" x2="{width - 40}" y1="{height - 30 - threshold * sy:.1f}" '
        f'y2="{height - 30 - threshold * sy:.1f}" stroke="#c00" stroke-dasharray="4 4"/>',
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" '
        f'points="{_polyline(drift, sx, sy, height)}"/>',
        f'<polyline fill="none" stroke="#ff7f0e" stroke-width="2" '
        f'points="{_polyline(_steps(version), sx, sv, height)}"/>',
        f'<text x="{width - 40}" y="{height - 10}" text-anchor="end">{end:.0f} s</text>',
    ]
    if shift_at is not None:
        x = 40 + shift_at * sx
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="30" y2="{height - 30}" stroke="#888" '
            'stroke-dasharray="2 3"/>'
        )
        parts.append(f'<text x="{x + 4:.1f}" y="44">traffic shifts</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _steps(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    stepped: list[tuple[float, float]] = []
    for x, y in points:
        if stepped and stepped[-1][1] != y:
            stepped.append((x, stepped[-1][1]))
        stepped.append((x, y))
    return stepped


def write(
    directory: Path,
    samples: list[Sample],
    events: list[tuple[float, str]],
    threshold: float,
    shift_at: float | None,
) -> tuple[Path, Path]:
    """Write ``demo.html`` (timeline and chart) and ``demo.png``; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    chart = svg(samples, threshold, shift_at)
    rows = "".join(
        f"<tr><td>{seconds:.1f}</td><td>{html.escape(text)}</td></tr>" for seconds, text in events
    )
    page = directory / "demo.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><title>modelops demo</title>"
        "<h1>modelops: drift -> retrain -> promote</h1>"
        f"{chart}<table border=1 cellpadding=4><tr><th>t (s)</th><th>event</th></tr>{rows}</table>"
    )
    png = directory / "demo.png"
    _png(png, samples, threshold, shift_at)
    return page, png


def _png(path: Path, samples: list[Sample], threshold: float, shift_at: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, drift_axis = pyplot.subplots(figsize=(9, 3.6), dpi=100)
    drift = [(s.seconds, s.drift) for s in samples if s.drift is not None]
    if drift:
        drift_axis.plot(*zip(*drift, strict=True), color="#1f77b4", label="drift score")
    drift_axis.axhline(threshold, color="#c00", linestyle="--", label="threshold")
    if shift_at is not None:
        drift_axis.axvline(shift_at, color="#888", linestyle=":", label="traffic shifts")
    drift_axis.set_xlabel("seconds since the demo started")
    drift_axis.set_ylabel("drift score")
    version_axis = drift_axis.twinx()
    version = [(s.seconds, s.version) for s in samples if s.version is not None]
    if version:
        version_axis.step(
            *zip(*version, strict=True), where="post", color="#ff7f0e", label="version"
        )
    version_axis.set_ylabel("served version")
    version_axis.set_yticks(sorted({v for _, v in version} or {1}))
    figure.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)

"""The reliability diagram as inline SVG, drawn by hand so the report needs no plotting library.

Accuracy against mean confidence per confidence bin, with the diagonal of perfect
calibration; bar width shows where the predictions are, point size how many.
"""

from __future__ import annotations

from modelops.runtime.scan.detectors.calibration import Calibration

WIDTH = 360
HEIGHT = 360
MARGIN = 44


def reliability_diagram(calibration: Calibration) -> str:
    """An ``<svg>`` element plotting accuracy against confidence per bin."""
    inner = WIDTH - 2 * MARGIN

    def x(value: float) -> float:
        return MARGIN + value * inner

    def y(value: float) -> float:
        return HEIGHT - MARGIN - value * inner

    total = sum(b.rows for b in calibration.bins) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="reliability diagram">',
        f'<rect x="{x(0)}" y="{y(1)}" width="{inner}" height="{inner}" fill="#fafafa" '
        'stroke="#999"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" '
        'stroke-dasharray="4 4"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" '
            f'text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{MARGIN - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{tick:g}</text>'
        )
    for b in calibration.bins:
        parts.append(
            f'<rect x="{x(b.low):.1f}" y="{y(b.accuracy):.1f}" '
            f'width="{(b.high - b.low) * inner:.1f}" height="{b.accuracy * inner:.1f}" '
            f'fill="#4a7bd0" fill-opacity="0.35"><title>{b.rows} rows, confidence '
            f"{b.confidence:.3f}, accuracy {b.accuracy:.3f}</title></rect>"
        )
    points = " ".join(f"{x(b.confidence):.1f},{y(b.accuracy):.1f}" for b in calibration.bins)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    for b in calibration.bins:
        radius = 2.5 + 6.0 * (b.rows / total) ** 0.5
        parts.append(
            f'<circle cx="{x(b.confidence):.1f}" cy="{y(b.accuracy):.1f}" r="{radius:.1f}" '
            'fill="#c0392b"/>'
        )
    parts += [
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" font-size="12" text-anchor="middle">'
        "mean confidence</text>",
        f'<text x="14" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {HEIGHT / 2})">accuracy</text>',
        "</svg>",
    ]
    return "\n".join(parts)

"""report.html: the scan's result for a human, in one self-contained file.

Verdict; what was scanned (model, version, run, dataset, and the features as the
model sees them: kind, role, missing rate); metrics (with the champion's side by
side); findings, each with the ``validation.*`` setting and value that would clear
it; notes; the slice table with each gap's sign in words; the reliability diagram.
No scripts, no external assets: it opens from an object store or a PVC as it is.
Every value from data or policy is escaped.
"""

from __future__ import annotations

from html import escape

from modelops.runtime.scan import plot
from modelops.runtime.scan.scanner import ScanResult

#: Slices listed in the table: every flagged one, then the worst of the rest up to this many.
SLICE_ROWS = 30

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 72rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; font-size: 0.9rem; }
th { background: #f0f0f0; }
.verdict { font-size: 1.3rem; font-weight: bold; padding: 0.5rem 1rem; display: inline-block; }
.passed { background: #dff5e1; color: #17612a; }
.rejected { background: #fbe0e0; color: #8a1c1c; }
.major { color: #8a1c1c; font-weight: bold; }
.medium { color: #9a5b00; font-weight: bold; }
.minor { color: #555; }
"""


def render(result: ScanResult, title: str) -> str:
    """The report as an HTML document."""
    verdict = "passed" if result.passed else "rejected"
    summary = ", ".join(f"{count} {severity}" for severity, count in result.summary().items())
    sections = [
        f"<h1>Scan of {escape(title)}</h1>",
        f'<p class="verdict {verdict}">{verdict.upper()}</p>',
        f"<p>{escape(str(result.task))} on {result.rows} holdout rows from "
        f"<code>{escape(result.holdout_uri)}</code>. Findings: {escape(summary)}.</p>",
        _lineage(result),
        _metrics(result),
        _findings(result),
        _notes(result),
        _slices(result),
        _calibration(result),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Scan: {escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(section for section in sections if section)
        + "\n</body></html>\n"
    )


def _lineage(result: ScanResult) -> str:
    described = result.lineage
    if described is None:
        return ""
    facts = [
        ("model", described.model),
        ("version", described.version),
        ("training run", described.run),
        ("estimator", described.estimator),
        ("dataset", described.dataset),
        ("dataset digest", described.dataset_digest),
    ]
    rows = "".join(
        f"<tr><th>{name}</th><td>{escape(value or 'unknown')}</td></tr>" for name, value in facts
    )
    features = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{escape(f.kind)}</td><td>{escape(f.role)}</td>"
        f"<td>{f.missing_rate:.1%}</td></tr>"
        for f in described.features
    )
    return (
        f"<h2>What was scanned</h2><table>{rows}</table>"
        f"<h3>Features as the model sees them ({len(described.features)})</h3><table>"
        "<tr><th>feature</th><th>kind</th><th>role</th><th>missing on the holdout</th></tr>"
        f"{features}</table>"
    )


def _metrics(result: ScanResult) -> str:
    comparison = result.comparison
    theirs = comparison.champion_metrics if comparison is not None else {}
    head = "<tr><th>metric</th><th>this model</th>"
    if comparison is not None:
        head += f"<th>champion {escape(comparison.champion)}</th>"
    rows = [head + "</tr>"]
    for name, value in result.metrics.items():
        row = f"<tr><td>{escape(name)}</td><td>{_number(value)}</td>"
        if comparison is not None:
            row += f"<td>{_number(theirs.get(name))}</td>"
        rows.append(row + "</tr>")
    text = "<h2>Metrics on the holdout</h2>"
    if comparison is not None:
        outcome = {True: "beats", False: "does not beat", None: "cannot be compared with"}
        text += (
            f"<p>On {escape(comparison.metric)} this model "
            f"{outcome[comparison.beats]} the champion {escape(comparison.champion)}.</p>"
        )
    return text + "<table>" + "".join(rows) + "</table>"


def _findings(result: ScanResult) -> str:
    if not result.findings:
        return "<h2>Findings</h2><p>No findings.</p>"
    rows = [
        "<tr><th>severity</th><th>detector</th><th>feature / slice</th><th>metric</th>"
        "<th>value</th><th>threshold</th><th>message</th><th>passes with</th></tr>"
    ]
    for f in result.findings:
        where = " / ".join(escape(part) for part in (f.feature, f.slice) if part)
        rows.append(
            f'<tr><td class="{escape(str(f.severity))}">{escape(str(f.severity))}</td>'
            f"<td>{escape(f.detector)}</td><td>{where}</td><td>{escape(f.metric or '')}</td>"
            f"<td>{_number(f.value)}</td><td>{_number(f.threshold)}</td>"
            f"<td>{escape(f.message)}</td><td>{_fix(f.setting, f.passes_at)}</td></tr>"
        )
    return "<h2>Findings</h2><table>" + "".join(rows) + "</table>"


def _notes(result: ScanResult) -> str:
    if not result.notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
    return f"<h2>Notes</h2><ul>{items}</ul>"


def _slices(result: ScanResult) -> str:
    if not result.slices:
        return ""
    flagged = [s for s in result.slices if s.severity is not None]
    others = [s for s in result.slices if s.severity is None]
    shown = flagged + others[: max(SLICE_ROWS - len(flagged), 0)]
    rows = [
        "<tr><th>slice</th><th>rows</th><th>metric</th><th>slice value</th><th>overall</th>"
        "<th>the model on this slice</th><th>gap at its optimistic bound</th><th>finding</th></tr>"
    ]
    for s in shown:
        rows.append(
            f"<tr><td>{escape(s.slice)}</td><td>{s.rows}</td><td>{escape(s.metric)}</td>"
            f"<td>{_number(s.value)}</td><td>{_number(s.overall)}</td><td>{escape(s.in_words())}</td>"
            f"<td>{s.bound_gap:+.1%}</td>"
            f'<td class="{escape(str(s.severity or ""))}">{escape(str(s.severity or ""))}</td></tr>'
        )
    return (
        f"<h2>Performance by slice</h2><p>{len(result.slices)} slices checked; "
        f"the {len(shown)} worst shown.</p><table>" + "".join(rows) + "</table>"
    )


def _calibration(result: ScanResult) -> str:
    curve = result.calibration
    if curve is None:
        return ""
    wrong = _number(curve.mean_confidence_wrong)
    return (
        "<h2>Calibration</h2>"
        f"<p>Mean confidence {curve.mean_confidence:.4f} against accuracy {curve.accuracy:.4f}: "
        f"{_confidence_words(curve.gap)} by {abs(curve.gap):.4f} (99% interval "
        f"{curve.gap_low:+.4f} to {curve.gap_high:+.4f}); expected calibration error "
        f"{curve.ece:.4f}; mean confidence "
        f"on wrong predictions {wrong}.</p>" + plot.reliability_diagram(curve)
    )


def _confidence_words(gap: float) -> str:
    return "overconfident" if gap > 0 else "underconfident"


def _fix(setting: str | None, value: str | None) -> str:
    if not setting:
        return ""
    return f"<code>{escape(setting)}: {escape(value or '')}</code>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"

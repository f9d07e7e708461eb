"""How far past its threshold a measurement is decides the severity of its finding.

Shared by the detectors whose thresholds are ratios (slice gaps, flip rates), so a
finding twice over its threshold is major wherever it comes from.
"""

from __future__ import annotations

from modelops.api.validation import Severity

#: ``value / threshold`` above which a finding is major, and above which it is medium.
MAJOR_RATIO = 2.0
MEDIUM_RATIO = 1.5


def by_ratio(value: float, threshold: float) -> Severity:
    """major past 2x the threshold, medium past 1.5x, minor otherwise."""
    ratio = value / threshold
    if ratio > MAJOR_RATIO:
        return Severity.MAJOR
    if ratio > MEDIUM_RATIO:
        return Severity.MEDIUM
    return Severity.MINOR

"""The scan's detectors, one module per family of hidden vulnerability.

Each module exposes ``detect(...)`` returning ``Finding`` objects (and, where the
report shows more than findings, the table or curve behind them). Detectors do
not load anything: the scanner hands them a ``Subject``.
"""

"""The scan: decide whether a ModelVersion may reach production.

``modelops scan`` runs in the scan Job of each ModelVersion. It loads the ONNX model
(after checking its digest) and the holdout set, runs the detectors the
ValidationPolicy configures, and writes findings.json, report.html and a compact
summary for the operator.
"""

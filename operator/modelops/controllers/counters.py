"""The operator's own Prometheus metrics, in a registry made at startup (never at import).

Exported on ``MODELOPS_METRICS_PORT`` at ``/metrics``:

- ``modelops_reconcile_total{kind,outcome}``: reconciles by kind, ``ok`` or ``error``.
- ``modelops_reconcile_duration_seconds{kind}``: how long a reconcile took.
- ``modelops_training_runs_total{outcome}``: runs that ended, ``Succeeded`` or ``Failed``.
- ``modelops_training_duration_seconds``: start to end of successful runs.
- ``modelops_scans_total{outcome}``: scans that ended, ``Validated`` or ``Rejected``.
- ``modelops_drift_checks_total{outcome}``: drift readings: ``NoData``, ``Normal``,
  ``Pending`` or ``Drifted``.
- ``modelops_retraining_triggers_total``: TrainingRuns started by a retraining policy.
- ``modelops_retraining_outcomes_total{outcome}``: ``Promoted``, ``AwaitingApproval``,
  ``Rejected`` or ``Failed``.
- ``modelops_deployment_served_version{namespace,deployment,model}``: version being served.
- ``modelops_deployment_ready_replicas{namespace,deployment,model}``: ready serving pods.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_DURATIONS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TRAINING = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
_SERVING_LABELS = ("namespace", "deployment", "model")


class OperatorMetrics:
    """Every metric the operator exports, bound to one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.reconciles = Counter(
            "modelops_reconcile", "Reconciles by kind and outcome.", ("kind", "outcome"), registry=r
        )
        self.reconcile_seconds = Histogram(
            "modelops_reconcile_duration_seconds",
            "Duration of reconciles.",
            ("kind",),
            buckets=_DURATIONS,
            registry=r,
        )
        self.training_runs = Counter(
            "modelops_training_runs", "TrainingRuns that ended.", ("outcome",), registry=r
        )
        self.training_seconds = Histogram(
            "modelops_training_duration_seconds",
            "Duration of successful TrainingRuns.",
            buckets=_TRAINING,
            registry=r,
        )
        self.scans = Counter("modelops_scans", "Scans that ended.", ("outcome",), registry=r)
        self.drift_checks = Counter(
            "modelops_drift_checks", "Drift readings by verdict.", ("outcome",), registry=r
        )
        self.retraining_triggers = Counter(
            "modelops_retraining_triggers", "TrainingRuns started by retraining.", registry=r
        )
        self.retraining_outcomes = Counter(
            "modelops_retraining_outcomes", "How retraining ended.", ("outcome",), registry=r
        )
        self.served_version = Gauge(
            "modelops_deployment_served_version",
            "Version a ModelDeployment serves.",
            _SERVING_LABELS,
            registry=r,
        )
        self.ready_replicas = Gauge(
            "modelops_deployment_ready_replicas",
            "Ready serving pods of a ModelDeployment.",
            _SERVING_LABELS,
            registry=r,
        )

    def serve(self, port: int, address: str = "0.0.0.0") -> None:
        """Expose ``/metrics`` on ``port`` in a background thread."""
        start_http_server(port, addr=address, registry=self.registry)

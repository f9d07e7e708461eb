"""What one inference server serves and how: built from the command line or by tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeConfig:
    """Options of `modelops serve`; see its ``--help`` for the command-line names."""

    model_name: str
    """The model's name, the ``{name}`` in V2 URLs."""

    model_version: int
    """The served version number, the ``{version}`` in V2 URLs."""

    artifact_uri: str
    """The version's artifact directory (any fsspec URI) holding model.onnx and reference.json."""

    digest: str
    """Expected ``sha256:<hex>`` of model.onnx; the model is never loaded if it differs."""

    max_batch_size: int = 1024
    """Largest batch accepted by /infer; larger ones get 400."""

    max_body_bytes: int = 8 * 1024 * 1024
    """Largest request body; larger ones get 413."""

    allow_non_finite: bool = False
    """Accept NaN and infinite inputs instead of answering 400."""

    drift: bool = True
    """Compare served rows with the reference profile and export drift scores."""

    drift_window: int = 1000
    """Rows in the sliding window that drift is computed over."""

    payload_log_uri: str | None = None
    """Where sampled request rows and predictions are appended; None turns logging off."""

    payload_sample_rate: float = 0.01
    """Fraction of requests whose payloads are logged."""

    payload_flush_rows: int = 1000
    """Rows buffered before a payload file is written."""

    payload_flush_seconds: float = 60.0
    """Longest time a logged payload waits in memory before it is written."""

    grace_period: float = 20.0
    """Seconds to wait for in-flight requests after SIGTERM before exiting anyway."""

    quiet_period: float = 1.0
    """After SIGTERM, stop once no request has arrived for this long (the Service has
    stopped routing here), or once the grace period is over."""

    idle_timeout: float = 15.0
    """Seconds a connection may go without a whole request (idle between requests, or a
    client sending its headers slowly) before it is closed."""

    body_timeout: float = 30.0
    """Seconds a client may take to send a request body; slower ones get 408."""

    infer_timeout: float = 5.0
    """Seconds one inference may run before it is stopped and answered 504; 0 for no limit.
    Inference runs on the event loop, so this also bounds how long health probes wait."""

    @property
    def version_label(self) -> str:
        return str(self.model_version)

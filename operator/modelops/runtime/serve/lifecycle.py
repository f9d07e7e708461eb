"""The server's life: loading, ready, failed, draining; and the requests in flight.

Liveness only says the process answers; readiness says a verified model is loaded and the
server is not shutting down. A failed load leaves the process up and unready, with the
reason, so Kubernetes keeps the previous pods serving and ``kubectl describe`` shows why.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time

from modelops.runtime import heap
from modelops.runtime.serve import loading
from modelops.runtime.serve.config import ServeConfig
from modelops.runtime.serve.driftfeed import DriftFeed
from modelops.runtime.serve.metrics import ServingMetrics, prediction_output
from modelops.runtime.serve.model import Model

log = logging.getLogger(__name__)


class Phase(enum.Enum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    DRAINING = "draining"


class Lifecycle:
    """Phase, loaded model and in-flight count of one server."""

    def __init__(self, config: ServeConfig, metrics: ServingMetrics) -> None:
        self._config = config
        self._metrics = metrics
        self.phase = Phase.LOADING
        self.reason = "the model is loading"
        self.model: Model | None = None
        self.drift: DriftFeed | None = None
        self.prediction: tuple[str, str] | None = None
        """The output holding the prediction and its kind (see ``metrics.prediction_output``)."""
        self.in_flight = 0
        self.last_request = time.monotonic()
        """When the latest request started (monotonic clock)."""

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    async def load(self) -> None:
        """Load the artifacts in a thread; end READY, or FAILED with the reason logged."""
        config = self._config
        started = time.monotonic()
        try:
            loaded = await asyncio.to_thread(
                loading.load,
                config.artifact_uri,
                config.digest,
                config.drift,
                config.infer_timeout or None,
            )
            drift = None
            if loaded.reference is not None:
                try:
                    drift = DriftFeed(
                        loaded.reference,
                        config.drift_window,
                        loaded.model,
                        (config.model_name, config.version_label),
                    )
                except (KeyError, TypeError, ValueError) as error:
                    raise loading.LoadError(f"cannot monitor drift: {error}") from error
        except loading.LoadError as error:
            self._fail(str(error))
            return
        self.prediction = prediction_output(loaded.model.outputs)
        self.model = loaded.model
        if drift is not None:
            self.drift = drift
            self._metrics.register(drift)
        heap.freeze_once()  # what loading built lives as long as the process
        if self.phase is Phase.LOADING:
            self.phase = Phase.READY
            self.reason = "ready"
            self._metrics.set_ready(True)
        log.info(
            "loaded %s version %s (%s) in %.2fs; inputs %s, outputs %s",
            config.model_name,
            config.version_label,
            config.digest,
            time.monotonic() - started,
            [spec.metadata() for spec in loaded.model.inputs.values()],
            [spec.metadata() for spec in loaded.model.outputs.values()],
        )

    def _fail(self, reason: str) -> None:
        self.phase = Phase.FAILED
        self.reason = reason
        self._metrics.set_ready(False)
        log.error("not ready: %s", reason)

    def begin_drain(self) -> None:
        """Stop being ready; requests already accepted (and new ones) are still served."""
        if self.phase is not Phase.FAILED:
            self.phase = Phase.DRAINING
            self.reason = "shutting down"
        self._metrics.set_ready(False)

    def request_started(self) -> None:
        self.in_flight += 1
        self.last_request = time.monotonic()

    def request_finished(self) -> None:
        self.in_flight -= 1

    async def drained(self, within: float, quiet: float = 0.0) -> bool:
        """Wait until no request is in flight and none has started for ``quiet`` seconds,
        at most ``within`` seconds; False if that time ran out first.

        Requests keep arriving after SIGTERM until the Service stops routing to this pod;
        waiting for them to stop, not merely for a lull, is what keeps clients error-free.
        """
        deadline = time.monotonic() + within
        while True:
            pause = 0.05
            if not self.in_flight:
                calm = time.monotonic() - self.last_request
                if calm >= quiet:
                    return True
                pause = quiet - calm
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(pause, remaining))

"""Fault injection for reliability tests: errors, throttling, conflicts, latency, broken watches.

Off by default. Give `ApiServer.start(faults=FaultConfig(...))` rates between 0 and 1; a
seeded RNG makes a run reproducible. Faults hit resource requests only (never discovery
or OpenAPI), which is where a real control plane misbehaves under load.
"""

from __future__ import annotations

import dataclasses
import random

from . import errors


@dataclasses.dataclass(frozen=True)
class FaultConfig:
    """Rates (0..1) of injected failures per request; all zero means a healthy server."""

    error_rate: float = 0.0
    """Answer 500 InternalError."""
    throttle_rate: float = 0.0
    """Answer 429 TooManyRequests with a Retry-After header."""
    retry_after_seconds: int = 1
    """The Retry-After sent with a 429."""
    conflict_rate: float = 0.0
    """Answer writes (POST/PUT/PATCH/DELETE) with 409 Conflict."""
    latency_rate: float = 0.0
    """Delay this share of requests by `latency_seconds`."""
    latency_seconds: float = 0.0
    """How long a delayed request waits before it is handled."""
    watch_drop_rate: float = 0.0
    """Per watch event sent: close the watch connection instead (the client must rewatch)."""
    watch_gone_rate: float = 0.0
    """Per watch started: fail it with a 410 Gone ERROR event (the client must relist)."""
    seed: int = 0
    """Seed of the RNG that decides which requests fail."""


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig | None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def delay(self) -> float:
        """Seconds to wait before handling this request (0 for none)."""
        return self.config.latency_seconds if self._roll(self.config.latency_rate) else 0.0

    def check(self, method: str) -> None:
        """Raise the error to answer with instead of handling the request, if any."""
        if self._roll(self.config.error_rate):
            raise errors.ApiError(500, "InternalError", "injected fault: internal error")
        if self._roll(self.config.throttle_rate):
            raise errors.ApiError(
                429,
                "TooManyRequests",
                "injected fault: too many requests, please try again later",
                {"retryAfterSeconds": self.config.retry_after_seconds},
                retry_after=self.config.retry_after_seconds,
            )
        if method in ("POST", "PUT", "PATCH", "DELETE") and self._roll(self.config.conflict_rate):
            raise errors.ApiError(
                409,
                "Conflict",
                "injected fault: Operation cannot be fulfilled: the object has been modified; "
                "please apply your changes to the latest version and try again",
            )

    def drop_watch(self) -> bool:
        return self._roll(self.config.watch_drop_rate)

    def expire_watch(self) -> bool:
        return self._roll(self.config.watch_gone_rate)

"""Steady inference traffic against a deployment's Service, switchable to shifted data."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
import orjson


@dataclass
class Traffic:
    """Sends batches of rows at a steady rate; ``rows`` can be swapped while it runs."""

    url: str
    rows: np.ndarray
    batch: int = 10
    rate: float = 25.0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def switch(self, rows: np.ndarray) -> None:
        self.rows = rows

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        generator = np.random.default_rng(0)
        interval = 1.0 / self.rate
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            next_at = time.monotonic()
            while not self._stop.is_set():
                picked = self.rows[generator.integers(0, len(self.rows), self.batch)]
                body = {
                    "inputs": [
                        {
                            "name": "input",
                            "shape": list(picked.shape),
                            "datatype": "FP32",
                            "data": picked.astype(np.float32).ravel().tolist(),
                        }
                    ]
                }
                try:
                    async with session.post(
                        self.url,
                        data=orjson.dumps(body),
                        headers={"Content-Type": "application/json"},
                    ) as answer:
                        await answer.read()
                        if answer.status == 200:
                            self.sent += 1
                        else:
                            self.failed += 1
                            self.errors.append(f"HTTP {answer.status}")
                except (aiohttp.ClientError, TimeoutError) as error:
                    self.failed += 1
                    self.errors.append(type(error).__name__)
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))

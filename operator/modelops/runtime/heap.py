"""Telling the cyclic garbage collector to leave a process's start-up heap alone.

The trainer and the server each build a large heap once (libraries, the model) that lives
as long as the process. A full collection walks all of it: ~0.1 s in the trainer, ~16 ms
in a server under load, a pause every queued request waits out. ``freeze_once`` moves
what exists to the permanent generation, which collections skip.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_once() -> None:
    """Freeze the heap as it is now; later calls in the same process do nothing.

    Once per process: a caller that trains or serves many times in one process (the
    tests) must not have each run's garbage made permanent. A flag, not
    ``gc.get_freeze_count``, which counts the frozen objects one by one.
    """
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True

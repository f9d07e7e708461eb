"""The start-up heap is frozen once per process, so later garbage stays collectable."""

from __future__ import annotations

import gc

from modelops.runtime import heap


def test_only_the_first_freeze_in_a_process_freezes() -> None:
    heap.freeze_once()
    frozen = gc.get_freeze_count()
    assert frozen > 0

    later = [[i] for i in range(1_000)]  # objects a second run would leave behind
    heap.freeze_once()

    assert gc.get_freeze_count() == frozen
    assert gc.is_tracked(later)

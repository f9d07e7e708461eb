"""set_condition: the one way to change a condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelops.api.common import ConditionStatus, find_condition, is_true, set_condition

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_a_new_condition_is_added_with_now_as_transition_time() -> None:
    conditions = set_condition([], "Ready", True, "Serving", "ok", now=T0, generation=3)
    ready = find_condition(conditions, "Ready")
    assert ready is not None
    assert ready.status == ConditionStatus.TRUE
    assert ready.last_transition_time == T0
    assert ready.observed_generation == 3


def test_same_status_keeps_the_transition_time_but_updates_reason_and_generation() -> None:
    before = set_condition([], "Ready", False, "Pending", "waiting", now=T0, generation=1)
    after = set_condition(before, "Ready", False, "NoReplicas", "0/1 ready", now=T1, generation=2)
    ready = find_condition(after, "Ready")
    assert ready is not None
    assert ready.last_transition_time == T0
    assert (ready.reason, ready.message, ready.observed_generation) == (
        "NoReplicas",
        "0/1 ready",
        2,
    )


def test_a_status_change_moves_the_transition_time() -> None:
    before = set_condition([], "Ready", False, "Pending", "", now=T0)
    after = set_condition(before, "Ready", True, "Serving", "", now=T1)
    ready = find_condition(after, "Ready")
    assert ready is not None
    assert ready.last_transition_time == T1
    assert is_true(after, "Ready")


def test_other_conditions_and_the_input_list_are_left_alone() -> None:
    conditions = set_condition([], "Ready", False, "Pending", "", now=T0)
    conditions = set_condition(conditions, "Available", False, "Pending", "", now=T0)
    changed = set_condition(conditions, "Ready", True, "Serving", "", now=T1)
    assert [c.type for c in changed] == ["Ready", "Available"]
    assert not is_true(conditions, "Ready")
    available = find_condition(changed, "Available")
    assert available is not None
    assert available.last_transition_time == T0


def test_conditions_serialise_in_kubernetes_form() -> None:
    (ready,) = set_condition([], "Ready", True, "Serving", "up", now=T0, generation=4)
    assert ready.to_api() == {
        "type": "Ready",
        "status": "True",
        "reason": "Serving",
        "message": "up",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "observedGeneration": 4,
    }


def test_a_status_patch_removes_unset_fields_but_keeps_list_items_valid() -> None:
    from modelops.api.modelversion import ModelVersionStatus, ScanStatus
    from modelops.api.validation import Finding

    finding = Finding(detector="floors", severity="major", metric="accuracy", message="low")
    status = ModelVersionStatus(scan=ScanStatus(findings=[finding]))
    patch = status.to_merge_patch()
    assert patch["message"] is None, "an unset top-level field is removed by the patch"
    (item,) = patch["scan"]["findings"]
    assert "feature" not in item, "list items carry no nulls, which the schema would refuse"
    assert item["metric"] == "accuracy"

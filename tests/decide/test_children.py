"""An unchanged child is never re-applied."""

from __future__ import annotations

from modelops.decide.children import covers
from modelops.structs import owned_by


def test_server_added_fields_do_not_count_as_a_change() -> None:
    rendered = {"spec": {"replicas": 2, "template": {"containers": [{"name": "a", "args": ["x"]}]}}}
    live = {
        "metadata": {"resourceVersion": "7"},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "template": {"containers": [{"name": "a", "args": ["x"], "imagePullPolicy": "Always"}]},
        },
        "status": {"replicas": 2},
    }
    assert covers(live, rendered)


def test_a_changed_value_or_list_is_a_change() -> None:
    rendered = {"spec": {"replicas": 2, "args": ["--model-version", "3"]}}
    assert not covers({"spec": {"replicas": 3, "args": ["--model-version", "3"]}}, rendered)
    assert not covers({"spec": {"replicas": 2, "args": ["--model-version", "2"]}}, rendered)
    assert not covers({"spec": {"replicas": 2}}, rendered)


def test_ownership_is_by_uid_among_any_owners() -> None:
    mine = {"metadata": {"ownerReferences": [{"uid": "other"}, {"uid": "u-1"}]}}
    assert owned_by(mine, "u-1")
    assert not owned_by(mine, "u-2")
    assert not owned_by({"metadata": {}}, "u-1")  # a user's own object of the same name

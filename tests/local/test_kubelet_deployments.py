"""The local Deployment controller scales and rolls pods as the Kubernetes one does."""

from __future__ import annotations

import datetime as dt

from modelops.local.kubelet import deployments, objects

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def deployment(replicas: int = 1, image: str = "v1", **spec: object) -> dict[str, object]:
    return {
        "metadata": {"name": "serve", "namespace": "ml", "uid": "dep-uid", "generation": 2},
        "spec": {
            "replicas": replicas,
            "template": {"metadata": {"labels": {"app": "serve"}}, "spec": {"image": image}},
            **spec,
        },
    }


def pod(name: str, hash_: str, ready: bool, since: dt.datetime = T0) -> dict[str, object]:
    return {
        "metadata": {
            "name": name,
            "namespace": "ml",
            "uid": name,
            "labels": {"pod-template-hash": hash_},
            "creationTimestamp": objects.format_time(since),
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": objects.format_time(since),
                }
            ],
        },
    }


def test_a_new_deployment_starts_its_replicas() -> None:
    plan = deployments.plan_deployment(deployment(replicas=3), [], T0)
    assert plan.create == 3
    assert plan.status["replicas"] == 0
    assert plan.status["observedGeneration"] == 2


def test_pods_carry_the_template_hash_and_the_deployment_as_owner() -> None:
    dep = deployment()
    made = deployments.deployment_pod(dep, deployments.template_hash(dep))
    assert made["metadata"]["labels"] == {
        "app": "serve",
        "pod-template-hash": deployments.template_hash(dep),
    }
    assert made["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert made["metadata"]["generateName"].startswith("serve-")


def test_ready_replicas_make_the_deployment_available_and_complete() -> None:
    dep = deployment(replicas=2)
    h = deployments.template_hash(dep)
    plan = deployments.plan_deployment(dep, [pod("a", h, True), pod("b", h, True)], T0)
    assert (plan.create, plan.delete_pods) == (0, ())
    assert plan.status["readyReplicas"] == plan.status["availableReplicas"] == 2
    reasons = {c["type"]: (c["status"], c["reason"]) for c in plan.status["conditions"]}
    assert reasons == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


def test_unready_replicas_leave_the_deployment_unavailable() -> None:
    dep = deployment(replicas=2)
    h = deployments.template_hash(dep)
    plan = deployments.plan_deployment(dep, [pod("a", h, False), pod("b", h, False)], T0)
    available = next(c for c in plan.status["conditions"] if c["type"] == "Available")
    assert available["status"] == "False"
    assert plan.status["readyReplicas"] == 0


def test_scaling_down_stops_unready_pods_first() -> None:
    dep = deployment(replicas=1)
    h = deployments.template_hash(dep)
    plan = deployments.plan_deployment(dep, [pod("a", h, True), pod("b", h, False)], T0)
    assert plan.delete_pods == ("b",)


def test_a_template_change_starts_the_new_pod_before_stopping_the_old() -> None:
    old_hash = deployments.template_hash(deployment(image="v1"))
    dep = deployment(image="v2")
    new_hash = deployments.template_hash(dep)
    assert new_hash != old_hash
    start = deployments.plan_deployment(dep, [pod("old", old_hash, True)], T0)
    assert (start.create, start.delete_pods) == (1, ())
    waiting = [pod("old", old_hash, True), pod("new", new_hash, False)]
    assert deployments.plan_deployment(dep, waiting, T0).delete_pods == ()
    switched = [pod("old", old_hash, True), pod("new", new_hash, True)]
    done = deployments.plan_deployment(dep, switched, T0)
    assert (done.create, done.delete_pods) == (0, ("old",))


def test_recreate_stops_old_pods_before_starting_new_ones() -> None:
    old_hash = deployments.template_hash(deployment(image="v1"))
    dep = deployment(image="v2", strategy={"type": "Recreate"})
    plan = deployments.plan_deployment(dep, [pod("old", old_hash, True)], T0)
    assert (plan.create, plan.delete_pods) == (0, ("old",))


def test_min_ready_seconds_delays_availability() -> None:
    dep = deployment(minReadySeconds=10)
    h = deployments.template_hash(dep)
    plan = deployments.plan_deployment(dep, [pod("a", h, True)], T0 + dt.timedelta(seconds=4))
    assert plan.status["availableReplicas"] == 0
    assert plan.recheck_after == 6


def test_rolling_limits_follow_the_kubernetes_rounding() -> None:
    assert deployments.rolling_limits({}, 4) == (1, 1)
    assert deployments.rolling_limits({}, 1) == (1, 0)
    maxed = {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}
    assert deployments.rolling_limits(maxed, 3) == (0, 1)


def test_a_rollout_that_stops_moving_exceeds_its_progress_deadline() -> None:
    dep = deployment(replicas=1, progressDeadlineSeconds=60)
    h = deployments.template_hash(dep)
    stuck = [pod("a", h, False)]
    first = deployments.plan_deployment(dep, stuck, T0)
    dep_then = {**dep, "status": first.status}
    within = deployments.plan_deployment(dep_then, stuck, T0 + dt.timedelta(seconds=59))
    progressing = next(c for c in within.status["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "ReplicaSetUpdated")
    late = deployments.plan_deployment(dep_then, stuck, T0 + dt.timedelta(seconds=61))
    progressing = next(c for c in late.status["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")

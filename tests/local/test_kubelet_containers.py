"""A pod's container becomes a process with the environment and paths Kubernetes gives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelops.local.kubelet import containers
from modelops.local.kubelet.containers import ConfigError, Sources

NO_SOURCES = Sources(config_maps={}, secrets={})


def pod(**container: object) -> dict[str, object]:
    return {
        "metadata": {"name": "serve-1", "namespace": "ml", "uid": "u1", "labels": {"app": "s"}},
        "spec": {"containers": [{"name": "main", **container}]},
    }


def env_of(
    p: dict[str, object], sources: Sources = NO_SOURCES, port: int | None = None
) -> dict[str, str]:
    paths = containers.path_map(p, {}, Path("/state/pods/p/termination-log"))
    return containers.container_env(p, sources, {"PATH": "/bin", "SECRET_HOST": "x"}, port, paths)


def test_literals_references_and_the_downward_api_resolve() -> None:
    env = env_of(
        pod(
            env=[
                {"name": "A", "value": "one"},
                {"name": "B", "value": "$(A)-two-$$(A)-$(MISSING)"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            ]
        )
    )
    assert env["B"] == "one-two-$(A)-$(MISSING)"
    assert (env["POD"], env["APP"]) == ("serve-1", "s")
    assert env["PATH"] == "/bin"
    assert "SECRET_HOST" not in env


def test_secrets_and_config_maps_fill_env_and_env_from() -> None:
    sources = Sources(
        config_maps={"settings": {"LEVEL": "debug"}}, secrets={"creds": {"token": "t0k"}}
    )
    env = env_of(
        pod(
            envFrom=[{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
            env=[
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}
            ],
        ),
        sources,
    )
    assert (env["CFG_LEVEL"], env["TOKEN"]) == ("debug", "t0k")


def test_a_missing_secret_holds_the_container_unless_optional() -> None:
    ref = {"name": "nope", "key": "k"}
    with pytest.raises(ConfigError, match="secret 'nope' not found"):
        env_of(pod(env=[{"name": "X", "valueFrom": {"secretKeyRef": ref}}]))
    optional = env_of(
        pod(env=[{"name": "X", "valueFrom": {"secretKeyRef": {**ref, "optional": True}}}])
    )
    assert "X" not in optional


def test_the_port_and_termination_message_path_are_passed() -> None:
    env = env_of(pod(ports=[{"containerPort": 8080}]), port=41234)
    assert env["MODELOPS_PORT"] == "41234"
    assert env["MODELOPS_TERMINATION_MESSAGE_PATH"] == "/state/pods/p/termination-log"


def test_mount_paths_are_rewritten_to_host_directories() -> None:
    p = pod(
        command=["modelops", "train"],
        args=[
            "--out=/artifacts/run1",
            "--data",
            "file:///artifacts",
            "/artifactsX",
            "/data/artifacts",
        ],
        volumeMounts=[{"name": "out", "mountPath": "/artifacts"}],
        env=[{"name": "OUT", "value": "/artifacts/model.onnx"}],
    )
    paths = containers.path_map(p, {"out": Path("/host/vol")}, Path("/host/term"))
    env = containers.container_env(p, NO_SOURCES, {}, None, paths)
    plan = containers.launch_plan(p, env, paths)
    assert plan.argv == (
        "modelops",
        "train",
        "--out=/host/vol/run1",
        "--data",
        "file:///host/vol",
        "/artifactsX",
        "/data/artifacts",
    )
    assert env["OUT"] == "/host/vol/model.onnx"


def test_a_container_without_a_command_cannot_start() -> None:
    with pytest.raises(ConfigError, match="no command"):
        containers.launch_plan(pod(image="x"), {}, {})


def test_referenced_names_cover_env_env_from_and_volumes() -> None:
    p = pod(
        env=[{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s1", "key": "k"}}}],
        envFrom=[{"configMapRef": {"name": "c1"}}],
    )
    p["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "c2"}}]  # type: ignore[index]
    assert containers.referenced(p) == ({"c1", "c2"}, {"s1"})


def test_a_tmp_volume_becomes_tmpdir_and_host_paths_under_tmp_stay_as_they_are() -> None:
    mount = containers.TEMP_MOUNTS[0]
    host_uri = f"file://{mount}/state/artifacts/m/run"
    p = pod(
        command=["modelops", "train"],
        args=["--output", host_uri],
        volumeMounts=[{"name": "tmp", "mountPath": mount}],
    )
    paths = containers.path_map(p, {"tmp": Path("/state/pods/p/tmp")}, Path("/state/t-log"))
    env = containers.container_env(p, NO_SOURCES, {}, None, paths)
    plan = containers.launch_plan(p, env, paths)
    assert plan.argv[-1] == host_uri
    assert env["TMPDIR"] == "/state/pods/p/tmp"

"""kubectl 1.32, with default validation, works against the embedded API."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from .conftest import FIXTURES, Kubectl

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")


@pytest.fixture
def kubectl(run_kubectl: Kubectl, kubectl_env: dict[str, str]):  # type: ignore[no-untyped-def]
    run_kubectl.env = kubectl_env  # type: ignore[attr-defined]
    run_kubectl("apply", "-f", "widgets.example.dev.yaml")
    return run_kubectl


def test_apply_creates_and_then_updates_crs_and_configmaps(kubectl) -> None:  # type: ignore[no-untyped-def]
    assert "widget.example.dev/w1 created" in kubectl("apply", "-f", "widget.yaml")
    assert "configmap/settings created" in kubectl("apply", "-f", "configmap.yaml")
    assert "unchanged" in kubectl("apply", "-f", "configmap.yaml")
    changed = (FIXTURES / "configmap.yaml").read_text().replace("blue", "red")
    assert "configured" in kubectl("apply", "-f", "-", stdin=changed)
    assert kubectl("get", "cm", "settings", "-o", "jsonpath={.data.colour}") == "red"
    wrong = (FIXTURES / "widget.yaml").read_text().replace("size: small", "size: huge")
    out = kubectl("apply", "-f", "-", stdin=wrong, check=False)
    assert "spec.size" in out
    assert "Unsupported value" in out


def test_explain_shows_crd_field_descriptions(kubectl) -> None:  # type: ignore[no-untyped-def]
    out = kubectl("explain", "widget.spec")
    assert "WidgetSpec says what widget to make." in out
    assert "How many copies of the widget to run." in out


def test_get_uses_short_names_categories_columns_and_selectors(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", "widget.yaml", "-f", "configmap.yaml")
    lines = kubectl("get", "wdg").splitlines()
    assert lines[0].split() == ["NAME", "READY", "SIZE", "REPLICAS", "AGE"]
    assert lines[1].split()[:3] == ["w1", "small", "1"]
    assert "SERIAL" in kubectl("get", "wdg", "-o", "wide")
    assert "w1" in kubectl("get", "gadgets")
    assert "settings" in kubectl("get", "cm", "-l", "tier=gold")
    assert "No resources found" in kubectl("get", "cm", "-l", "tier=silver")
    assert "No resources found" in kubectl("get", "pods")
    assert "Serial:" in kubectl("describe", "wdg", "w1")


def test_scale_and_wait_for_condition(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", "widget.yaml")
    assert "scaled" in kubectl("scale", "wdg", "w1", "--replicas=3")
    assert kubectl("get", "wdg", "w1", "-o", "jsonpath={.spec.replicas}") == "3"
    kubectl(
        "patch",
        "wdg",
        "w1",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    )
    assert "condition met" in kubectl("wait", "--for=condition=Ready", "wdg/w1", "--timeout=5s")


def test_get_watch_sees_a_change(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", "widget.yaml")
    watcher = subprocess.Popen(
        ["kubectl", "get", "wdg", "-w", "--request-timeout=4s"],
        env=kubectl.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        kubectl("scale", "wdg", "w1", "--replicas=5")
        out, _ = watcher.communicate(timeout=10)
    finally:
        watcher.kill()
    rows = [line.split() for line in out.splitlines() if line.startswith("w1")]
    assert [row[2] for row in rows] == ["1", "5"]


def test_delete_waits_for_finalizers(kubectl) -> None:  # type: ignore[no-untyped-def]
    kubectl("apply", "-f", "widget.yaml")
    kubectl("patch", "wdg", "w1", "--type=merge", "-p", '{"metadata":{"finalizers":["x.dev/y"]}}')
    kubectl("delete", "wdg", "w1", "--wait=false")
    assert kubectl("get", "wdg", "w1", "-o", "jsonpath={.metadata.deletionTimestamp}")
    kubectl(
        "patch", "wdg", "w1", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'
    )
    assert "NotFound" in kubectl("get", "wdg", "w1", check=False)

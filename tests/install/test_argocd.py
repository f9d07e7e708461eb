"""Argo CD's health checks and resource actions for our kinds, run under Lua 5.1.

The scripts live in manifests/argocd/lua/<group>/<Kind>/ in Argo CD's own layout, with
``health_test.yaml`` and ``actions/action_test.yaml`` beside them. This runs those test
files as Argo CD's test harness does, in a sandbox with what Argo CD's Lua VM offers: the
base, table, string and math libraries, and ``os`` reduced to time, date and clock (frozen
here, so a timestamping action has one expected output). ``obj`` is the object as a table;
health scripts return ``{status, message}``, discovery returns a table of actions, an
action returns the modified object.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import lupa.lua51 as lua51
import pytest
import yaml

from tests.install.conftest import MANIFESTS
from tools import argocd_cm

LUA_DIR = MANIFESTS / "argocd" / "lua"
KIND_DIRS = sorted(p.parent for p in LUA_DIR.glob("*/*/health.lua"))
FROZEN_TIME = 1748779200  # 2025-06-01T12:00:00Z, the time in the testdata of actions
HEALTH_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

_SANDBOX = f"""
local frozen = {FROZEN_TIME}
local real_date = os.date
sandbox_os = {{
  time = function(t) if t == nil then return frozen end return os.time(t) end,
  date = function(format, t) return real_date(format, t or frozen) end,
  clock = function() return 0 end,
}}
return function(source, object)
  local env = {{
    obj = object, os = sandbox_os,
    string = string, table = table, math = math,
    pairs = pairs, ipairs = ipairs, next = next, type = type, tostring = tostring,
    tonumber = tonumber, select = select, unpack = unpack, pcall = pcall, error = error,
    assert = assert,
  }}
  local chunk, problem = loadstring(source)
  if chunk == nil then error(problem) end
  setfenv(chunk, env)
  return chunk()
end
"""


class ArgoLua:
    """Runs one script the way Argo CD does: ``obj`` in, a table out."""

    def __init__(self) -> None:
        self.runtime = lua51.LuaRuntime(unpack_returned_tuples=False)
        self._run = self.runtime.execute(_SANDBOX)

    def _table(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.runtime.table_from({k: self._table(v) for k, v in value.items()})
        if isinstance(value, list):
            return self.runtime.table_from([self._table(v) for v in value])
        return value

    def _python(self, value: Any) -> Any:
        if lua51.lua_type(value) != "table":
            return value
        items = dict(value.items())
        if items and all(isinstance(k, int) for k in items):
            return [self._python(items[i]) for i in range(1, len(items) + 1)]
        return {k: self._python(v) for k, v in items.items()}

    def run(self, script: Path, obj: dict[str, Any]) -> Any:
        return self._python(self._run(script.read_text(), self._table(obj)))


@pytest.fixture(scope="module")
def lua() -> ArgoLua:
    return ArgoLua()


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _health_cases() -> list[Any]:
    cases = []
    for kind_dir in KIND_DIRS:
        for test in _load(kind_dir / "health_test.yaml")["tests"]:
            cases.append(pytest.param(kind_dir, test, id=f"{kind_dir.name}-{test['inputPath']}"))
    return cases


def _action_files() -> list[Path]:
    return [d / "actions" / "action_test.yaml" for d in KIND_DIRS if (d / "actions").exists()]


def _discovery_cases() -> list[Any]:
    return [
        pytest.param(path, test, id=f"{path.parents[1].name}-{test['inputPath']}")
        for path in _action_files()
        for test in _load(path).get("discoveryTests") or []
    ]


def _action_cases() -> list[Any]:
    return [
        pytest.param(path, test, id=f"{path.parents[1].name}-{test['action']}-{test['inputPath']}")
        for path in _action_files()
        for test in _load(path).get("actionTests") or []
    ]


def test_every_kind_has_health_and_actions() -> None:
    assert [d.name for d in KIND_DIRS] == ["ModelDeployment", "ModelVersion", "TrainingRun"]
    assert {d.parent.name for d in KIND_DIRS} == {"modelops.dev"}
    assert len(_action_files()) == 3


@pytest.mark.parametrize("kind_dir", KIND_DIRS, ids=[d.name for d in KIND_DIRS])
def test_health_is_tested_in_all_four_states(kind_dir: Path) -> None:
    tested = {t["healthStatus"]["status"] for t in _load(kind_dir / "health_test.yaml")["tests"]}
    assert {"Healthy", "Progressing", "Degraded", "Suspended"} <= tested


@pytest.mark.parametrize(("kind_dir", "case"), _health_cases())
def test_health(lua: ArgoLua, kind_dir: Path, case: dict[str, Any]) -> None:
    obj = _load(kind_dir / case["inputPath"])
    status = lua.run(kind_dir / "health.lua", obj)
    assert status["status"] in HEALTH_STATUSES
    assert status == case["healthStatus"]


@pytest.mark.parametrize(("path", "case"), _discovery_cases())
def test_action_discovery(lua: ArgoLua, path: Path, case: dict[str, Any]) -> None:
    actions = lua.run(path.parent / "discovery.lua", _load(path.parent / case["inputPath"]))
    found = [{"name": name, "disabled": spec["disabled"]} for name, spec in actions.items()]
    assert sorted(found, key=lambda a: a["name"]) == sorted(case["result"], key=lambda a: a["name"])
    for action in found:
        assert (path.parent / action["name"] / "action.lua").exists()


@pytest.mark.parametrize(("path", "case"), _action_cases())
def test_action(lua: ArgoLua, path: Path, case: dict[str, Any]) -> None:
    obj = _load(path.parent / case["inputPath"])
    result = lua.run(path.parent / case["action"] / "action.lua", obj)
    assert result == _load(path.parent / case["expectedOutputPath"])


def _operator_constant(module: str, name: str) -> str:
    """A string constant of an operator module, read without importing it.

    Importing a controller module would register its kopf handlers in kopf's default
    registry for every later test in the session.
    """
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"{module} has no {name}")


def test_the_retrain_action_sets_the_annotation_the_operator_reads(lua: ArgoLua) -> None:
    annotation = _operator_constant("modelops.decide.retraining", "RETRAIN_ANNOTATION")
    actions = LUA_DIR / "modelops.dev" / "ModelDeployment" / "actions"
    obj = _load(actions / "testdata" / "serving.yaml")
    assert annotation not in (obj["metadata"].get("annotations") or {})
    result = lua.run(actions / "retrain" / "action.lua", obj)
    assert result["metadata"]["annotations"][annotation] == "2025-06-01T12:00:00Z"


def test_the_argocd_cm_patch_is_generated_from_the_scripts() -> None:
    path = MANIFESTS / "argocd" / "argocd-cm.yaml"
    assert path.read_text() == argocd_cm.render(), "run: python -m tools.argocd_cm"


def test_the_argocd_cm_patch_carries_every_script_verbatim() -> None:
    data = yaml.safe_load((MANIFESTS / "argocd" / "argocd-cm.yaml").read_text())["data"]
    for kind_dir in KIND_DIRS:
        key = f"{kind_dir.parent.name}_{kind_dir.name}"
        assert (
            data[f"resource.customizations.health.{key}"] == (kind_dir / "health.lua").read_text()
        )
        actions = yaml.safe_load(data[f"resource.customizations.actions.{key}"])
        assert actions["discovery.lua"] == (kind_dir / "actions" / "discovery.lua").read_text()
        for definition in actions["definitions"]:
            script = kind_dir / "actions" / definition["name"] / "action.lua"
            assert definition["action.lua"] == script.read_text()

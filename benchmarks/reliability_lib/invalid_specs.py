"""Generated invalid TrainingRuns: each is refused at apply (422 naming the field) or fails
with a reason; the operator keeps reconciling valid runs meanwhile.

`generate(n)` draws ``n`` distinct mutations of a valid run with hypothesis (derandomized,
so a run is repeatable); `check(cluster, mutations)` applies them and sorts the outcomes.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.reliability_lib.client import ApiError, Obj
from benchmarks.reliability_lib.harness import LocalCluster
from benchmarks.reliability_lib.operator_scenarios import NAMESPACE, training_run
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

_ESTIMATORS = {
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "LogisticRegression",
    "LinearRegression",
    "Ridge",
    "RidgeClassifier",
}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_URI = re.compile(r"^(file|s3|gs|gcs|http|https|memory|builtin)://.+")
_NOT_INT = st.one_of(st.text(max_size=8), st.lists(st.integers(), max_size=2), st.booleans())
_NOT_OBJECT = st.one_of(st.text(max_size=8), st.integers(), st.lists(st.integers(), max_size=2))


@dataclass(frozen=True)
class Mutation:
    """One way to break a valid spec: set ``path`` to ``value`` (or delete it)."""

    path: tuple[str, ...]
    value: Any
    delete: bool = False

    @property
    def field(self) -> str:
        return ".".join(("spec", *self.path))

    def apply(self, name: str) -> Obj:
        body = training_run(name, "invalid")
        where = body["spec"]
        for key in self.path[:-1]:
            where = where.setdefault(key, {})
        if self.delete:
            where.pop(self.path[-1], None)
        else:
            where[self.path[-1]] = copy.deepcopy(self.value)
        return body

    def describe(self) -> str:
        return f"{self.field} deleted" if self.delete else f"{self.field} = {self.value!r}"[:120]


def _set(path: tuple[str, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Mutation]:
    return values.map(lambda value: Mutation(path, value))


MUTATIONS: st.SearchStrategy[Mutation] = st.one_of(
    # Out of range or of the wrong type: the CRD schema refuses these at apply.
    _set(
        ("dataset", "holdoutFraction"),
        st.one_of(st.floats(max_value=0.049), st.floats(min_value=0.501)).filter(
            lambda x: x == x and abs(x) != float("inf")
        ),
    ),
    _set(("dataset", "seed"), st.one_of(st.integers(max_value=-1), _NOT_INT)),
    _set(("dataset", "maxRows"), st.one_of(st.integers(max_value=0), _NOT_INT)),
    _set(("backoffLimit",), st.one_of(st.integers(max_value=-1), st.integers(min_value=21))),
    _set(("activeDeadlineSeconds",), st.integers(max_value=0)),
    _set(
        ("estimator", "name"),
        st.one_of(
            st.sampled_from(
                [
                    "os.system",
                    "sklearn.ensemble.RandomForestClassifier",
                    "__import__('os').system",
                    "subprocess.Popen",
                    "randomforestclassifier",
                ]
            ),
            st.text(max_size=30).filter(lambda s: s not in _ESTIMATORS),
        ),
    ),
    _set(("model",), st.text(max_size=80).filter(lambda s: not _DNS_LABEL.match(s))),
    _set(("dataset", "uri"), st.text(max_size=40).filter(lambda s: not _URI.match(s))),
    _set(
        ("preprocessing", "scaling"),
        st.text(max_size=12).filter(lambda s: s not in ("none", "standard", "minmax")),
    ),
    _set(("estimator", "params"), _NOT_OBJECT),
    _set(("dataset",), _NOT_OBJECT),
    st.sampled_from(
        [("model",), ("dataset",), ("estimator",), ("dataset", "uri"), ("estimator", "name")]
    ).map(lambda path: Mutation(path, None, delete=True)),
    # Valid to the schema, wrong for the data or the estimator: the run fails with a reason.
    _set(
        ("estimator", "params"),
        st.one_of(
            st.fixed_dictionaries({"max_iter": st.integers(max_value=-1)}),
            st.fixed_dictionaries(
                {"C": st.one_of(st.floats(max_value=-0.001, allow_infinity=False), st.text())}
            ),
            st.fixed_dictionaries({"penalty": st.text(max_size=10)}).filter(
                lambda p: p["penalty"] not in ("l1", "l2", "elasticnet", "none")
            ),
            st.dictionaries(
                st.from_regex(r"no_such_[a-z]{1,8}", fullmatch=True), st.integers(), min_size=1
            ),
        ),
    ),
    _set(("dataset", "target"), st.from_regex(r"missing_[a-z0-9]{1,10}", fullmatch=True)),
    _set(
        ("dataset", "features"),
        st.lists(st.from_regex(r"absent_[a-z]{1,6}", fullmatch=True), min_size=1, max_size=3),
    ),
    _set(("dataset", "uri"), st.from_regex(r"builtin://nothing_[a-z]{1,8}", fullmatch=True)),
)


def generate(count: int) -> list[Mutation]:
    """``count`` distinct invalid mutations, the same ones on every call."""
    drawn: list[Mutation] = []
    seen: set[str] = set()

    @settings(
        max_examples=count * 4,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(MUTATIONS)
    def draw(mutation: Mutation) -> None:
        key = json.dumps([mutation.path, mutation.value, mutation.delete], default=str)
        if len(drawn) < count and key not in seen:
            seen.add(key)
            drawn.append(mutation)

    draw()
    return drawn


@dataclass
class InvalidResult:
    specs: int
    rejected_at_apply: int = 0
    failed_with_reason: int = 0
    wrong: list[str] = field(default_factory=list)
    """Mutations that were neither refused naming the field nor failed with a reason."""
    valid_after: str = ""
    """Phase a valid run applied after all of them reached."""
    seconds: float = 0.0


def _names_field(error: ApiError, field_path: str) -> bool:
    body = error.body if isinstance(error.body, dict) else {}
    causes = (body.get("details") or {}).get("causes") or []
    fields = [str(c.get("field", "")) for c in causes]
    top = field_path.split(".")[:2]
    return any(f.startswith(field_path) or field_path.startswith(f) for f in fields) or (
        ".".join(top) in str(body.get("message", ""))
    )


def check(cluster: LocalCluster, mutations: list[Mutation], timeout: float = 300) -> InvalidResult:
    api = cluster.api
    result = InvalidResult(len(mutations))
    started = time.monotonic()
    accepted: dict[str, Mutation] = {}
    for index, mutation in enumerate(mutations):
        name = f"invalid-{index}"
        try:
            api.create(mutation.apply(name))
        except ApiError as error:
            if error.code == 422 and _names_field(error, mutation.field):
                result.rejected_at_apply += 1
            else:
                result.wrong.append(f"{mutation.describe()}: answered {error.code} {error.body}")
            continue
        accepted[name] = mutation
    api.create(training_run("valid-after", "valid"))
    deadline = time.monotonic() + timeout
    waiting = [*accepted, "valid-after"]
    while waiting and time.monotonic() < deadline:
        waiting = [
            name
            for name in waiting
            if ((api.get("TrainingRun", name, NAMESPACE) or {}).get("status") or {}).get("phase")
            not in ("Succeeded", "Failed")
        ]
        time.sleep(1)
    for name, mutation in accepted.items():
        status = (api.get("TrainingRun", name, NAMESPACE) or {}).get("status") or {}
        failed = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Failed"), None
        )
        if status.get("phase") == "Failed" and failed and failed.get("reason"):
            result.failed_with_reason += 1
        else:
            result.wrong.append(f"{mutation.describe()}: ended {status.get('phase')}")
    valid = api.get("TrainingRun", "valid-after", NAMESPACE) or {}
    result.valid_after = str((valid.get("status") or {}).get("phase"))
    result.seconds = time.monotonic() - started
    return result

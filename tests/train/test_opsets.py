"""Operator versions looked up lazily give skl2onnx the answers of its full table."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import defs
from skl2onnx import to_onnx
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelops.runtime.train import opsets


def test_every_operator_has_the_versions_of_the_full_table() -> None:
    table: dict[tuple[str, str], set[int]] = {}
    for schema in defs.get_all_schemas_with_history():
        table.setdefault((schema.domain, schema.name), set()).add(schema.since_version)

    assert len(table) > 100
    for (domain, name), versions in table.items():
        assert opsets.versions(domain, name) == sorted(versions), (domain, name)
    assert opsets.versions("", "NoSuchOperator") is None


@pytest.mark.parametrize(
    "estimator",
    [
        make_pipeline(StandardScaler(), LogisticRegression()),
        RandomForestRegressor(n_estimators=3, random_state=0),
        HistGradientBoostingClassifier(max_iter=5),
    ],
    ids=["scaled-logistic", "forest-regressor", "hist-boosting"],
)
def test_an_export_is_the_same_model_with_lazy_versions(estimator: BaseEstimator) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    estimator.fit(x, (x[:, 0] > 0).astype(np.int64))

    eager = to_onnx(estimator, x[:1])
    with opsets.lazy_versions():
        lazy = to_onnx(estimator, x[:1])

    assert lazy.SerializeToString() == eager.SerializeToString()
    assert [o.version for o in lazy.opset_import] == [o.version for o in eager.opset_import]

"""The allow-listed estimators, their parameters, and the preprocessing Pipeline around them.

Each ``EstimatorName`` maps to its scikit-learn class through an explicit import (the
XGBoost and LightGBM ones through ``boosting``), so no user string ever chooses what
code is loaded. Parameters are checked before any data is read: sizes against the API's
``PARAM_BOUNDS`` when the spec is parsed, names against ``get_params()``, values by
scikit-learn's own parameter validation (``boosting.check_params`` for the others).
``n_jobs`` is kept within the run's CPU limit (``limits.jobs``).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from modelops.api.trainingrun import EstimatorName, Scaling, TrainingRunSpec
from modelops.runtime.train import boosting, limits
from modelops.runtime.train.columns import Schema
from modelops.runtime.train.errors import InvalidSpec

#: The scikit-learn estimators; ``boosting.CLASSES`` has the others.
ESTIMATORS: dict[EstimatorName, type[BaseEstimator]] = {
    EstimatorName.RANDOM_FOREST_CLASSIFIER: RandomForestClassifier,
    EstimatorName.RANDOM_FOREST_REGRESSOR: RandomForestRegressor,
    EstimatorName.EXTRA_TREES_CLASSIFIER: ExtraTreesClassifier,
    EstimatorName.EXTRA_TREES_REGRESSOR: ExtraTreesRegressor,
    EstimatorName.GRADIENT_BOOSTING_CLASSIFIER: GradientBoostingClassifier,
    EstimatorName.GRADIENT_BOOSTING_REGRESSOR: GradientBoostingRegressor,
    EstimatorName.HIST_GRADIENT_BOOSTING_CLASSIFIER: HistGradientBoostingClassifier,
    EstimatorName.HIST_GRADIENT_BOOSTING_REGRESSOR: HistGradientBoostingRegressor,
    EstimatorName.DECISION_TREE_CLASSIFIER: DecisionTreeClassifier,
    EstimatorName.DECISION_TREE_REGRESSOR: DecisionTreeRegressor,
    EstimatorName.LOGISTIC_REGRESSION: LogisticRegression,
    EstimatorName.LINEAR_REGRESSION: LinearRegression,
    EstimatorName.RIDGE: Ridge,
    EstimatorName.RIDGE_CLASSIFIER: RidgeClassifier,
}

#: Tree models split on thresholds, so scaling cannot change what they learn; but sklearn
#: scales in float64 and ONNX in float32, and a value one ulp from a split then lands on the
#: other side. So scaling is skipped in front of them (the trainer says so).
TREE_MODELS = frozenset(
    {
        EstimatorName.RANDOM_FOREST_CLASSIFIER,
        EstimatorName.RANDOM_FOREST_REGRESSOR,
        EstimatorName.EXTRA_TREES_CLASSIFIER,
        EstimatorName.EXTRA_TREES_REGRESSOR,
        EstimatorName.GRADIENT_BOOSTING_CLASSIFIER,
        EstimatorName.GRADIENT_BOOSTING_REGRESSOR,
        EstimatorName.HIST_GRADIENT_BOOSTING_CLASSIFIER,
        EstimatorName.HIST_GRADIENT_BOOSTING_REGRESSOR,
        EstimatorName.DECISION_TREE_CLASSIFIER,
        EstimatorName.DECISION_TREE_REGRESSOR,
        *boosting.CLASSES,
    }
)

#: Name of the estimator's step when preprocessing wraps it in a Pipeline.
ESTIMATOR_STEP = "estimator"
RANDOM_STATE = "random_state"
N_JOBS = "n_jobs"


def estimator_class(name: EstimatorName) -> type[BaseEstimator]:
    """The class behind an allow-listed name; MissingExtra for a boosting one without its extra."""
    if boosting.is_boosting(name):
        return boosting.estimator_class(name)
    return ESTIMATORS[name]


def effective_params(spec: TrainingRunSpec, cpus: int = limits.DEFAULT_CPUS) -> dict[str, Any]:
    """The user's params, plus ``random_state`` from ``dataset.seed`` where the user set none,
    and ``n_jobs`` within ``cpus`` cores."""
    name = EstimatorName(spec.estimator.name)
    valid = estimator_class(name)().get_params(deep=False)
    params = dict(spec.estimator.params)
    for param in params:
        if param not in valid:
            raise InvalidSpec(
                f"estimator.params: {spec.estimator.name} has no parameter {param!r}; "
                f"valid parameters are: {', '.join(sorted(valid))}"
            )
    if boosting.is_boosting(name):
        boosting.check_params(name, params)
        params = boosting.defaults(name, cpus) | params
    if RANDOM_STATE in valid and RANDOM_STATE not in params:
        params[RANDOM_STATE] = spec.dataset.seed
    if params.get(N_JOBS) is not None:
        try:
            params[N_JOBS] = limits.jobs(params[N_JOBS], cpus)
        except ValueError as error:
            raise InvalidSpec(f"estimator.params: {error}") from None
    return params


def estimator(spec: TrainingRunSpec, cpus: int = limits.DEFAULT_CPUS) -> BaseEstimator:
    """The unfitted estimator with checked params; a bad name or value is an InvalidSpec."""
    params = effective_params(spec, cpus)
    name = EstimatorName(spec.estimator.name)
    instance = estimator_class(name)(**params)
    if boosting.is_boosting(name):  # its values were checked by boosting.check_params
        return instance
    try:
        # scikit-learn checks parameter values only when fitting; ask for the check now,
        # before any data is read.
        instance._validate_params()
    except (ValueError, TypeError) as error:
        raise InvalidSpec(f"estimator.params: {error}") from None
    return instance


def model(spec: TrainingRunSpec, schema: Schema, cpus: int = limits.DEFAULT_CPUS) -> BaseEstimator:
    """The estimator, wrapped in a Pipeline when the spec asks for preprocessing.

    The model is fitted on a matrix whose columns are the numeric features then the
    categorical ones (``Schema.names``), which is how the ONNX inputs line up too.
    """
    final = estimator(spec, cpus)
    scaler = None if scaling_skipped(spec) else _scaler(Scaling(spec.preprocessing.scaling))
    if schema.categorical:
        n_numeric = len(schema.numeric)
        parts: list[tuple[str, Any, list[int]]] = []
        if n_numeric:
            parts.append(("numeric", scaler or "passthrough", list(range(n_numeric))))
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts.append(("categorical", encoder, list(range(n_numeric, len(schema.names)))))
        return Pipeline([("columns", ColumnTransformer(parts)), (ESTIMATOR_STEP, final)])
    if scaler is not None:
        return Pipeline([("scale", scaler), (ESTIMATOR_STEP, final)])
    return final


def scaling_skipped(spec: TrainingRunSpec) -> bool:
    """Whether the spec asks for scaling in front of a tree model, where it is skipped."""
    asked = Scaling(spec.preprocessing.scaling) != Scaling.NONE
    return asked and EstimatorName(spec.estimator.name) in TREE_MODELS


def final_estimator(fitted: BaseEstimator) -> BaseEstimator:
    """The estimator itself, inside or outside its preprocessing Pipeline."""
    if isinstance(fitted, Pipeline):
        step: BaseEstimator = fitted.named_steps[ESTIMATOR_STEP]
        return step
    return fitted


def _scaler(scaling: Scaling) -> BaseEstimator | None:
    if scaling == Scaling.STANDARD:
        return StandardScaler()
    if scaling == Scaling.MINMAX:
        return MinMaxScaler()
    return None

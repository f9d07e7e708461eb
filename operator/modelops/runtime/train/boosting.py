"""XGBoost and LightGBM: loaded only when a run asks for one, from the ``boosting`` extra.

The libraries and their ONNX converters (onnxmltools') are imported by fixed module names
when first needed, so the trainer runs without them until a run names one of these
estimators; then a missing library is a permanent ``MissingExtra`` naming the extra to
install. The converters are registered with skl2onnx, so a boosting model exports inside
the same Pipeline (one-hot encoding in front) as a scikit-learn one.

Neither library checks its parameters before it is given data, as scikit-learn does; so
the common ones are checked here (``check_params``), and the rest by name only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from modelops.api.trainingrun import EstimatorName
from modelops.runtime.train.errors import InvalidSpec, MissingExtra

EXTRA = "boosting"

#: The estimators of the extra: (module, class) of each, imported by these names only.
CLASSES: Mapping[EstimatorName, tuple[str, str]] = {
    EstimatorName.XGB_CLASSIFIER: ("xgboost", "XGBClassifier"),
    EstimatorName.XGB_REGRESSOR: ("xgboost", "XGBRegressor"),
    EstimatorName.LGBM_CLASSIFIER: ("lightgbm", "LGBMClassifier"),
    EstimatorName.LGBM_REGRESSOR: ("lightgbm", "LGBMRegressor"),
}

#: onnxmltools' tree converters write ai.onnx.ml operators of this version at most.
ML_OPSET = 3

#: Params these libraries would otherwise default to every core of the node, or to printing
#: on stdout (where the trainer's progress lines go).
QUIET = {"lightgbm": {"verbose": -1}, "xgboost": {"verbosity": 0}}


def _number(
    low: float, high: float = float("inf"), *, open_low: bool = False
) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (value > low if open_low else value >= low) and value <= high

    return check


def _integer(low: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    return check


def _text(value: Any) -> bool:
    return isinstance(value, str)


#: What each common parameter must be (None, the libraries' "default", is always allowed).
_RULES: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "n_estimators": (_integer(1), "an integer of at least 1"),
    "max_depth": (_integer(-1), "an integer (0 or -1 for no limit, where the library allows)"),
    "num_leaves": (_integer(2), "an integer of at least 2"),
    "max_bin": (_integer(2), "an integer of at least 2"),
    "max_leaves": (_integer(0), "an integer of at least 0"),
    "min_child_samples": (_integer(0), "an integer of at least 0"),
    "learning_rate": (_number(0, open_low=True), "a number above 0"),
    "subsample": (_number(0, 1, open_low=True), "a number in (0, 1]"),
    "colsample_bytree": (_number(0, 1, open_low=True), "a number in (0, 1]"),
    "colsample_bylevel": (_number(0, 1, open_low=True), "a number in (0, 1]"),
    "colsample_bynode": (_number(0, 1, open_low=True), "a number in (0, 1]"),
    "reg_alpha": (_number(0), "a number of at least 0"),
    "reg_lambda": (_number(0), "a number of at least 0"),
    "gamma": (_number(0), "a number of at least 0"),
    "min_child_weight": (_number(0), "a number of at least 0"),
    "min_split_gain": (_number(0), "a number of at least 0"),
    "scale_pos_weight": (_number(0, open_low=True), "a number above 0"),
    "random_state": (_integer(0), "an integer of at least 0"),
    "objective": (_text, "a string"),
    "booster": (_text, "a string"),
    "boosting_type": (_text, "a string"),
    "tree_method": (_text, "a string"),
}


def is_boosting(name: EstimatorName) -> bool:
    return name in CLASSES


def is_boosting_model(model: BaseEstimator) -> bool:
    """Whether a fitted estimator comes from one of the boosting libraries."""
    return type(model).__module__.split(".")[0] in {module for module, _ in CLASSES.values()}


def estimator_class(name: EstimatorName) -> type[BaseEstimator]:
    """The library's class for ``name``, its converter registered; MissingExtra without it."""
    module_name, class_name = CLASSES[name]
    cls: type[BaseEstimator] = _class(_library(name, module_name), class_name)
    _register_converters(module_name)
    return cls


def defaults(name: EstimatorName, cpus: int) -> dict[str, Any]:
    """Params set for the user where they set none: threads within ``cpus``, no chatter."""
    return {"n_jobs": cpus, **QUIET[CLASSES[name][0]]}


def check_params(name: EstimatorName, params: Mapping[str, Any]) -> None:
    """InvalidSpec for a common parameter whose value the library would refuse at fit time."""
    for param, value in params.items():
        rule = _RULES.get(param)
        if rule is None or value is None:
            continue
        valid, wanted = rule
        if not valid(value):
            raise InvalidSpec(
                f"estimator.params: {param} of {name} must be {wanted}, not {value!r}"
            )


def check_labels(name: EstimatorName, labels: np.ndarray) -> None:
    """XGBoost's classifiers learn only the labels 0..n-1: say so before fitting."""
    if name != EstimatorName.XGB_CLASSIFIER:
        return
    classes = np.unique(labels)
    if classes.dtype.kind not in "iub" or not np.array_equal(classes, np.arange(len(classes))):
        raise InvalidSpec(
            f"{name} needs class labels 0, 1, ..., n-1 and this target has other labels "
            f"({len(classes)} classes); recode the target or choose LGBMClassifier, "
            "which takes any labels"
        )


def target_opset() -> dict[str, int]:
    """The opsets of a boosting export: skl2onnx's newest tested, and ai.onnx.ml ``ML_OPSET``."""
    from skl2onnx import get_latest_tested_opset_version

    return {"": get_latest_tested_opset_version(), "ai.onnx.ml": ML_OPSET}


def _class(library: ModuleType, class_name: str) -> Any:
    """One of the four estimator classes, each named in full (no attribute read by name)."""
    classes = {
        "XGBClassifier": lambda: library.XGBClassifier,
        "XGBRegressor": lambda: library.XGBRegressor,
        "LGBMClassifier": lambda: library.LGBMClassifier,
        "LGBMRegressor": lambda: library.LGBMRegressor,
    }
    return classes[class_name]()


def _import(module_name: str) -> ModuleType:
    """One of the two libraries, by a fixed import (no module name computed from input)."""
    if module_name == "xgboost":
        import xgboost

        return xgboost
    if module_name == "lightgbm":
        import lightgbm

        return lightgbm
    raise ImportError(f"not a boosting library: {module_name}")


def _library(name: EstimatorName, module_name: str) -> ModuleType:
    try:
        return _import(module_name)
    except ImportError:
        raise MissingExtra(
            f"{name} needs {module_name}, part of the '{EXTRA}' extra this trainer lacks: "
            f"install modelops[{EXTRA}] (pip install 'modelops[{EXTRA}]'), or run the "
            "modelops runtime image, which has it"
        ) from None


@functools.cache
def _register_converters(module_name: str) -> None:
    """Tell skl2onnx how to convert the library's models, with onnxmltools' converters."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes,
            calculate_linear_regressor_output_shapes,
        )

        if module_name == "xgboost":
            from onnxmltools.convert.xgboost.operator_converters.XGBoost import (
                convert_xgboost as convert,
            )

            prefix = "XGBoost"
        else:
            from onnxmltools.convert.lightgbm.operator_converters.LightGbm import (
                convert_lightgbm as convert,
            )

            prefix = "LightGbm"
    except ImportError:
        raise MissingExtra(
            f"exporting {module_name} models needs onnxmltools, part of the '{EXTRA}' extra "
            f"this trainer lacks: install modelops[{EXTRA}] (pip install 'modelops[{EXTRA}]')"
        ) from None
    library = _import(module_name)
    classifier_options: dict[str, Any] = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    # onnxmltools' LightGBM converter asks for its "split" option (None: one tree ensemble).
    regressor_options: dict[str, Any] | None = {"split": None} if prefix == "LightGbm" else None
    for name, (module, class_name) in CLASSES.items():
        if module != module_name:
            continue
        classifier = name.endswith("Classifier")
        update_registered_converter(
            _class(library, class_name),
            f"{prefix}{class_name}",
            calculate_linear_classifier_output_shapes
            if classifier
            else calculate_linear_regressor_output_shapes,
            convert,
            options=classifier_options if classifier else regressor_options,
        )

"""The model under scan together with its holdout, the true targets and its predictions.

Built once by the scanner and handed to every detector, so each detector sees the
same class order, the same encoded targets and the same baseline predictions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from modelops.api.trainingrun import Task
from modelops.runtime.scan.errors import InvalidHoldout, InvalidModel
from modelops.runtime.scan.features import Features
from modelops.runtime.scan.holdout import Holdout
from modelops.runtime.scan.model import OnnxModel, Predictions


@dataclass(frozen=True)
class Subject:
    """What every detector works from.

    ``y`` is the class index of each row (classifiers; in ``classes`` order, which is
    the order of the probability columns) or the target value (regressors);
    ``outcome`` is the model's point prediction in the same form.
    """

    model: OnnxModel
    holdout: Holdout
    classes: list[str]
    y: NDArray[np.float64] | NDArray[np.int64]
    predictions: Predictions
    outcome: NDArray[np.float64] | NDArray[np.int64]

    @property
    def task(self) -> Task:
        return self.model.task

    @property
    def features(self) -> Features:
        return self.holdout.features

    def outcome_of(self, predictions: Predictions) -> NDArray[np.float64] | NDArray[np.int64]:
        """Point predictions (class indices or values) of another run of the model."""
        return _outcome(self.model, self.classes, predictions)


def build(model: OnnxModel, holdout: Holdout) -> Subject:
    """Run the model on the holdout and line its outputs up with the target."""
    predictions = model.predict(holdout.features)
    if model.task == Task.REGRESSION:
        return Subject(
            model,
            holdout,
            [],
            holdout.target_values(),
            predictions,
            _outcome(model, [], predictions),
        )
    assert predictions.labels is not None
    assert predictions.probabilities is not None
    targets = holdout.target_labels()
    classes = model.class_labels or _sorted_labels({*targets.tolist(), *predictions.labels})
    width = predictions.probabilities.shape[1]
    if len(classes) != width:
        raise InvalidModel(
            f"the model outputs {width} probability columns but its classes are {classes}; "
            "list them in manifest.json 'classes'"
        )
    unknown = sorted(set(targets.tolist()) - set(classes))
    if unknown:
        raise InvalidHoldout(
            f"{holdout.uri}: the target column holds {len(unknown)} value(s) that are not "
            f"among the model's {len(classes)} classes (manifest.json 'classes')"
        )
    y = _index(classes, targets)
    return Subject(model, holdout, classes, y, predictions, _outcome(model, classes, predictions))


def _outcome(
    model: OnnxModel, classes: list[str], predictions: Predictions
) -> NDArray[np.float64] | NDArray[np.int64]:
    if model.task == Task.REGRESSION:
        assert predictions.values is not None
        return predictions.values
    assert predictions.labels is not None
    unknown = sorted(set(predictions.labels.tolist()) - set(classes))
    if unknown:
        raise InvalidModel(f"the model predicts {len(unknown)} label(s) outside its classes")
    return _index(classes, predictions.labels)


def _index(classes: list[str], labels: NDArray[np.str_]) -> NDArray[np.int64]:
    position = {label: index for index, label in enumerate(classes)}
    return np.array([position[label] for label in labels.tolist()], dtype=np.int64)


def _sorted_labels(labels: set[str]) -> list[str]:
    """Labels in the order scikit-learn gives ``classes_``: numerically when they are numbers."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)

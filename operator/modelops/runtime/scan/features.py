"""The model's inputs for a set of rows, in the shape the ONNX contract asks for.

Numeric features travel as one FP32 matrix named ``input``; each categorical feature
is its own STRING column named after the feature. Detectors perturb, slice and
re-order rows through this one type, so they never rebuild ONNX feeds themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from modelops.runtime.contract import NUMERIC_INPUT


@dataclass(frozen=True)
class Features:
    """Feature values of some rows: numeric matrix plus categorical columns."""

    numeric_names: list[str]
    numeric: NDArray[np.float32]
    categorical: dict[str, NDArray[np.object_]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.numeric.shape[0])

    def take(self, index: NDArray[np.intp] | slice) -> Features:
        """The same features for a subset (or re-ordering) of the rows."""
        return Features(
            numeric_names=self.numeric_names,
            numeric=self.numeric[index],
            categorical={name: values[index] for name, values in self.categorical.items()},
        )

    def with_numeric(self, numeric: NDArray[np.float32]) -> Features:
        """The same rows with other numeric values (a perturbation)."""
        return Features(self.numeric_names, numeric.astype(np.float32), self.categorical)

    def feeds(self) -> dict[str, NDArray[np.float32] | NDArray[np.object_]]:
        """The onnxruntime feed dictionary."""
        feeds: dict[str, NDArray[np.float32] | NDArray[np.object_]] = {
            name: values.reshape(-1, 1) for name, values in self.categorical.items()
        }
        if self.numeric_names:
            feeds[NUMERIC_INPUT] = self.numeric
        return feeds

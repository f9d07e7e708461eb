"""Which columns are features and target, and how their values become model inputs.

The numeric features, in the order recorded here, form the model's one float32
input; each categorical feature is a string input of its own. A value's conversion
lives here once, so training, hashing and the drift reference see the same values:
numbers as float (a missing one as NaN), categories as their string form (a missing
one as the empty string).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelops.api.trainingrun import Dataset, Task
from modelops.runtime.contract import LABEL, NUMERIC_INPUT, PROBABILITIES, VARIABLE
from modelops.runtime.train.errors import InvalidDataset, InvalidSpec

#: Names of the model's other inputs and outputs, which a categorical input may not take.
_RESERVED = {
    NUMERIC_INPUT: "numeric input",
    LABEL: "output",
    PROBABILITIES: "output",
    VARIABLE: "output",
}


class Feature(TypedDict):
    """A feature as the manifest lists it."""

    name: str
    type: Literal["numeric", "categorical"]


@dataclass(frozen=True)
class Schema:
    """The target and the features, numeric ones first, in model-input order."""

    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def features(self) -> list[Feature]:
        numeric: list[Feature] = [{"name": n, "type": "numeric"} for n in self.numeric]
        return numeric + [{"name": n, "type": "categorical"} for n in self.categorical]


def resolve(table: pa.Table, dataset: Dataset, one_hot: bool) -> Schema:
    """Check the spec's columns against the table and sort features into numeric and categorical.

    Messages name the columns the spec named, never the dataset's own: its header is
    content of whatever the URI points at (the first line of ``/etc/passwd``).
    """
    columns = table.column_names
    among = f"the dataset's {len(columns)} columns"
    if dataset.target not in columns:
        raise InvalidSpec(
            f'target column "{dataset.target}" not found among {among}; '
            "check dataset.target against the data's header"
        )
    features = list(dataset.features) or [c for c in columns if c != dataset.target]
    for name in features:
        if name not in columns:
            raise InvalidSpec(
                f'feature column "{name}" not found among {among}; '
                "check dataset.features against the data's header"
            )
    if dataset.target in features:
        raise InvalidSpec(f'target column "{dataset.target}" is also listed in dataset.features')
    if not features:
        raise InvalidSpec("no feature columns: the dataset has only its target column")
    for name in dataset.categorical:
        if name not in features:
            raise InvalidSpec(
                f'categorical column "{name}" is not a feature (dataset.features, or every '
                "column but the target when that is empty)"
            )
    if dataset.categorical and not one_hot:
        raise InvalidSpec(
            f"categorical columns ({', '.join(dataset.categorical)}) need "
            "preprocessing.oneHot: true"
        )
    categorical = set(dataset.categorical)
    for name in features:
        if name not in categorical and not _is_numeric(table.schema.field(name).type):
            if not one_hot:
                raise InvalidSpec(
                    f'feature column "{name}" is not numeric ({table.schema.field(name).type}); '
                    "set preprocessing.oneHot: true to one-hot encode it, "
                    "or leave it out of dataset.features"
                )
            categorical.add(name)
    for name in categorical:
        _check_input_name(name)
    return Schema(
        target=dataset.target,
        numeric=tuple(n for n in features if n not in categorical),
        categorical=tuple(n for n in features if n in categorical),
    )


def _check_input_name(name: str) -> None:
    """A categorical column becomes a model input of its name: one the contract can carry."""
    if not name:
        raise InvalidSpec(
            "a categorical column has an empty name, which cannot name a model input; "
            "name the column in the data's header"
        )
    if name in _RESERVED:
        raise InvalidSpec(
            f'categorical column "{name}" would clash with the model\'s {_RESERVED[name]} '
            "of that name; rename the column"
        )


def numeric_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as float64, a missing value as NaN."""
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def categorical_strings(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A categorical column as Arrow strings, a missing value as ``""``."""
    return pc.fill_null(pc.cast(column, pa.string()), "")


def categorical_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A categorical column as an object array of strings, a missing value as ``""``."""
    strings = categorical_strings(column).to_numpy(zero_copy_only=False)
    return np.asarray(strings, dtype=object)


def numeric_matrix(table: pa.Table, names: Sequence[str]) -> np.ndarray:
    """The named numeric columns as one C-ordered float32 matrix, the model's ``input``."""
    # Columns are filled as contiguous rows of the transpose, then transposed in one copy:
    # half the time of writing each column with a stride into the row-major matrix.
    columns = np.empty((len(names), table.num_rows), dtype=np.float32)
    for j, name in enumerate(names):
        columns[j] = numeric_values(table.column(name))
    return np.ascontiguousarray(columns.T)


def target_values(table: pa.Table, schema: Schema, task: Task) -> np.ndarray:
    """The target column as labels (int64 or str) for classifiers, float64 for regressors."""
    column = table.column(schema.target)
    if column.null_count:
        raise InvalidDataset(
            f'target column "{schema.target}" has {column.null_count} missing values; '
            "fill or drop those rows"
        )
    kind = column.type
    if task == Task.REGRESSION:
        if not _is_numeric(kind):
            raise InvalidSpec(
                f'target column "{schema.target}" is {kind}, not numeric; a regressor needs '
                "numbers (choose a classifier for labels)"
            )
        return numeric_values(column)
    if pa.types.is_floating(kind):
        values = numeric_values(column)
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise InvalidSpec(
                f'target column "{schema.target}" has non-integer numbers; a classifier needs '
                "class labels (choose a regressor for numbers)"
            )
        labels: np.ndarray = values.astype(np.int64)
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        labels = np.asarray(pc.cast(column, pa.int64()).to_numpy(), dtype=np.int64)
    else:
        labels = categorical_values(column).astype(str)
    if np.unique(labels).size < 2:
        raise InvalidSpec(
            f'target column "{schema.target}" has a single class; a classifier needs at least two'
        )
    return labels


def _is_numeric(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
    )

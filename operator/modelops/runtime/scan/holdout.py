"""The holdout set: rows the model never trained on, read and shaped for the model.

Parquet or CSV (by extension) through the artifact store. Feature order comes from
the manifest when there is one; otherwise every column but the target, in file
order, with the model's STRING inputs taken as the categorical ones. Anything that
does not fit the model is refused here with ``InvalidHoldout``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet
from numpy.typing import NDArray

from modelops.runtime import artifacts
from modelops.runtime.scan.errors import HoldoutNotFound, InvalidHoldout, where
from modelops.runtime.scan.features import Features
from modelops.runtime.scan.manifest import label_text
from modelops.runtime.train import columns


@dataclass(frozen=True)
class Holdout:
    """Features and raw target values of the holdout rows."""

    uri: str
    features: Features
    target: NDArray[np.generic]
    #: The feature columns as read (pyarrow), in manifest or file order, for row hashing.
    table: Any

    @property
    def rows(self) -> int:
        return self.features.rows

    def target_labels(self) -> NDArray[np.str_]:
        """The target as class labels, spelled as the model spells them."""
        return np.array([label_text(v) for v in self.target.tolist()], dtype=np.str_)

    def target_values(self) -> NDArray[np.float64]:
        """The target as numbers (regression)."""
        try:
            return self.target.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise InvalidHoldout(
                f"{self.uri}: the target column is not numeric ({where(error)})"
            ) from error


def load(
    uri: str,
    target: str,
    categorical: list[str],
    numeric_width: int,
    feature_order: list[str] | None,
) -> Holdout:
    """Read the holdout at ``uri`` and arrange it for a model.

    ``categorical`` are the model's STRING inputs, ``numeric_width`` the width of its
    FP32 input, ``feature_order`` the manifest's feature list (None: file order).
    """
    table = _read_table(uri)
    names = list(table.column_names)
    if target not in names:
        raise InvalidHoldout(
            f"{uri} has no target column {target!r} (among its {len(names)} columns)"
        )
    order = feature_order if feature_order is not None else [c for c in names if c != target]
    missing = [name for name in [*order, *categorical] if name not in names]
    if missing:
        raise InvalidHoldout(f"{uri} lacks the model's features {missing}")
    numeric_names = [name for name in order if name not in categorical]
    if len(numeric_names) != numeric_width:
        raise InvalidHoldout(
            f"the model takes {numeric_width} numeric features, the holdout has "
            f"{len(numeric_names)}; add manifest.json 'features' "
            "or drop the extra columns"
        )
    if table.num_rows == 0:
        raise InvalidHoldout(f"{uri} has no rows")
    try:
        features = Features(
            numeric_names=numeric_names,
            numeric=columns.numeric_matrix(table, numeric_names),
            categorical={
                name: columns.categorical_values(table.column(name)) for name in categorical
            },
        )
    except pa.ArrowException as error:
        raise InvalidHoldout(
            f"{uri}: a numeric feature holds non-numbers ({where(error)})"
        ) from error
    if table.column(target).null_count:
        raise InvalidHoldout(f"{uri}: the target column {target!r} has missing values")
    values = np.asarray(table.column(target).to_numpy(zero_copy_only=False))
    return Holdout(uri, features, values, table.select(order))


def _read_table(uri: str) -> Any:
    try:
        data = artifacts.read_bytes(uri)
    except FileNotFoundError as error:
        raise HoldoutNotFound(f"no holdout dataset at {uri}") from error
    try:
        if uri.lower().endswith(".csv"):
            return pyarrow.csv.read_csv(pa.BufferReader(data))
        return pyarrow.parquet.ParquetFile(pa.BufferReader(data)).read()
    except pa.ArrowException as error:
        kind = "CSV" if uri.lower().endswith(".csv") else "Parquet"
        raise InvalidHoldout(f"{uri} cannot be read as {kind} ({where(error)})") from error

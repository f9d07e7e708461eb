"""Read a TrainingRun's dataset into one Arrow table, with the digest of what was read.

A URI names a file, a directory or a glob on any fsspec filesystem, or a built-in
table. Several files are read in sorted name order and concatenated, so data that
lands later (``day-2025-01-02.csv`` after ``day-2025-01-01.csv``) is picked up by the
next run and counts as the most recent rows for ``maxRows``.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import fsspec
import pyarrow as pa
from pyarrow import csv, parquet

from modelops.api.trainingrun import Dataset, DatasetFormat
from modelops.runtime import artifacts
from modelops.runtime.train import builtin, errors
from modelops.runtime.train.errors import DatasetNotFound, InvalidDataset

_EXTENSIONS = {".csv": DatasetFormat.CSV, ".parquet": DatasetFormat.PARQUET}
_EXTENSIONS[".pq"] = DatasetFormat.PARQUET
_GLOB_CHARS = "*?["

#: What an Arrow CSV error says about where and what went wrong, without the row it quotes.
_CSV_FACTS = (
    (re.compile(r"Expected (\d+) columns, got (\d+)"), "a row has {1} fields, the header {0}"),
    (re.compile(r"conversion error to (\w+)"), "a value does not convert to {0}"),
    (re.compile(r"Row #(\d+)"), "row {0}"),
    (re.compile(r"column #(\d+)"), "column #{0}"),
    (re.compile(r"^Empty CSV file"), "the file is empty"),
)


@dataclass(frozen=True)
class LoadedDataset:
    """The table read, and where it came from."""

    table: pa.Table
    files: tuple[str, ...]
    _digest: Future[str]

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the bytes read; hashed on another thread while they are parsed."""
        return self._digest.result()


def load(dataset: Dataset) -> LoadedDataset:
    """Read ``dataset.uri``, keep the last ``dataset.max_rows`` rows, and digest the bytes read."""
    digest: Future[str] = Future()
    if builtin.is_builtin(dataset.uri):
        table, known = builtin.load(dataset.uri)
        digest.set_result(known)
        files: tuple[str, ...] = (dataset.uri,)
    else:
        files = _files(dataset.uri, DatasetFormat(dataset.format))
        blobs = [_read(uri) for uri in files]
        # hashlib releases the GIL on large buffers: the digest costs no time of its own.
        hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest")
        digest = hasher.submit(
            artifacts.sha256_digest, blobs[0] if len(blobs) == 1 else b"".join(blobs)
        )
        hasher.shutdown(wait=False)
        tables = [
            _parse(uri, blob, DatasetFormat(dataset.format))
            for uri, blob in zip(files, blobs, strict=True)
        ]
        del blobs
        table = _concat(tables, files)
    if table.num_rows == 0:
        raise InvalidDataset(f"dataset {dataset.uri} has no rows; add data or fix the URI")
    if dataset.max_rows is not None and table.num_rows > dataset.max_rows:
        table = table.slice(table.num_rows - dataset.max_rows)
    return LoadedDataset(table=table, files=files, _digest=digest)


def format_of(uri: str, declared: DatasetFormat) -> DatasetFormat:
    """The declared format, or the one the file extension implies."""
    if declared != DatasetFormat.AUTO:
        return declared
    lowered = uri.lower()
    for extension, fmt in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    raise InvalidDataset(
        f"cannot tell the format of {uri} from its extension; "
        'set dataset.format to "csv" or "parquet"'
    )


def _files(uri: str, declared: DatasetFormat) -> tuple[str, ...]:
    fs, path = fsspec.core.url_to_fs(uri)
    if any(char in path for char in _GLOB_CHARS):
        paths = [p for p in fs.glob(path) if not fs.isdir(p)]
        where = f"no file matches {uri}"
    elif fs.isdir(path):
        paths = [
            p
            for p in fs.ls(path, detail=False)
            if not _hidden(p) and not fs.isdir(p) and _readable_as(p, declared)
        ]
        where = f"no .csv or .parquet file in directory {uri}"
    elif fs.exists(path):
        paths = [path]
        where = ""
    else:
        raise DatasetNotFound(f"dataset {uri} does not exist (yet); check the URI or upload it")
    if not paths:
        raise DatasetNotFound(f"{where} (yet); check the URI or upload the data")
    return tuple(fs.unstrip_protocol(p) for p in sorted(paths))


def _hidden(path: str) -> bool:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name.startswith((".", "_"))


def _readable_as(path: str, declared: DatasetFormat) -> bool:
    lowered = path.lower()
    return any(
        lowered.endswith(ext) and (declared in (DatasetFormat.AUTO, fmt))
        for ext, fmt in _EXTENSIONS.items()
    )


def _read(uri: str) -> bytes:
    try:
        return artifacts.read_bytes(uri)
    except FileNotFoundError:
        raise DatasetNotFound(f"dataset file {uri} disappeared while reading; retry") from None


def _parse(uri: str, blob: bytes, declared: DatasetFormat) -> pa.Table:
    fmt = format_of(uri, declared)
    try:
        if fmt == DatasetFormat.CSV:
            return csv.read_csv(pa.BufferReader(blob))
        # ParquetFile reads the one file directly; read_table would first import and set up
        # pyarrow.dataset (~10 ms in the trainer's fresh process) to read the same bytes.
        return parquet.ParquetFile(pa.BufferReader(blob)).read()
    except (pa.ArrowException, OSError, ValueError) as error:
        raise InvalidDataset(f"cannot read {uri} as {fmt.value}: {_problem(error, fmt)}") from None


def _problem(error: Exception, fmt: DatasetFormat) -> str:
    """What Arrow found wrong, as kind and position only.

    Arrow's CSV errors quote the offending row unquoted after a colon, so only the facts
    matched above are kept; other messages lose their quoted text (``errors.describe``).
    """
    if fmt != DatasetFormat.CSV:
        return errors.describe(error)
    text = str(error)
    facts = [
        template.format(*found.groups())
        for pattern, template in _CSV_FACTS
        if (found := pattern.search(text))
    ]
    kind = type(error).__name__
    return f"{'; '.join(facts)} ({kind})" if facts else f"{kind}, not a CSV file Arrow can parse"


def _concat(tables: list[pa.Table], files: tuple[str, ...]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    first = tables[0].column_names
    for table, uri in zip(tables, files, strict=True):
        if table.column_names != first:
            pairs = zip(table.column_names, first, strict=False)
            differs = next(
                (i for i, (a, b) in enumerate(pairs) if a != b),
                min(len(first), table.num_columns),
            )
            raise InvalidDataset(
                f"{uri} has other columns than {files[0]} ({table.num_columns} and "
                f"{len(first)}, the first difference at column #{differs}); every file of a "
                "dataset needs the same columns"
            )
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowException, ValueError) as error:
        raise InvalidDataset(
            f"the dataset's files do not share column types ({type(error).__name__}); "
            "every file needs the same type in each column"
        ) from None

"""The artifact store: read and write files under any fsspec URI, with sha256 digests.

Trainer, scanner and server all go through here, so a digest is computed one way
and a model is never loaded before its digest has been checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import fsspec
import orjson
from fsspec.implementations.local import LocalFileSystem

from modelops.uris import join as join  # one way to join URIs, shared with render

#: File names inside a run's artifact directory.
MODEL = "model.onnx"
REFERENCE = "reference.json"
HOLDOUT = "holdout.parquet"
TRAIN_ROW_HASHES = "train_row_hashes.npy"
METRICS = "metrics.json"
MANIFEST = "manifest.json"
FINDINGS = "findings.json"
REPORT = "report.html"


class DigestMismatch(Exception):
    """The bytes read do not have the digest they were expected to have."""


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``, the form ModelVersion.spec.digest uses."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_bytes(uri: str) -> bytes:
    with fsspec.open(uri, "rb") as handle:
        data: bytes = handle.read()
    return data


def read_verified(uri: str, digest: str) -> bytes:
    """The bytes at ``uri``, only if their sha256 equals ``digest``."""
    data = read_bytes(uri)
    actual = sha256_digest(data)
    if actual != digest:
        raise DigestMismatch(f"{uri} has digest {actual}, expected {digest}")
    return data


def write_bytes(uri: str, data: bytes) -> str:
    """Write ``data`` to ``uri`` (creating parent directories) and return its digest.

    Local files are written to a temporary name and renamed, so a reader never sees
    half a file.
    """
    fs, path = fsspec.core.url_to_fs(uri)
    parent = path.rsplit("/", 1)[0]
    fs.makedirs(parent, exist_ok=True)
    if isinstance(fs, LocalFileSystem):
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    else:
        with fs.open(path, "wb") as handle:
            handle.write(data)
    return sha256_digest(data)


def read_json(uri: str) -> Any:
    return json.loads(read_bytes(uri))


def write_json(uri: str, value: Any) -> str:
    """Write ``value`` as indented JSON with sorted keys; non-finite floats become null."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY
    return write_bytes(uri, orjson.dumps(value, option=options) + b"\n")

"""Protobuf request bodies of the few built-in kinds kubectl creates imperatively.

`kubectl create namespace/configmap/secret` and `kubectl auth can-i` send their bodies
as `application/vnd.kubernetes.protobuf`: the magic `k8s\\x00`, then a
`runtime.Unknown` (typeMeta, raw) whose `raw` is the kind's message as generated from
Kubernetes' `generated.proto`. This module reads the protobuf wire format and those few
messages (field numbers from the published .proto definitions) into the JSON form the
rest of the server handles; answers stay JSON, which clients accept too. Other kinds
answer 415 naming what is understood: supporting every built-in kind would mean
carrying the whole set of upstream .proto definitions.
"""

from __future__ import annotations

import base64
from typing import Any

from . import errors

Obj = dict[str, Any]
PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"

Message = dict[int, tuple[str, Any]]
"""field number -> (JSON name, type): "string", "bytes", "bool", a Message, or
("map", value type) / ("repeated", type)."""

_META: Message = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    14: ("finalizers", ("repeated", "string")),
}
_ATTRIBUTES: Message = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
KINDS: dict[str, Message] = {
    "Namespace": {1: ("metadata", _META), 2: ("spec", {1: ("finalizers", ("repeated", "string"))})},
    "ConfigMap": {
        1: ("metadata", _META),
        2: ("data", ("map", "string")),
        3: ("binaryData", ("map", "bytes")),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", _META),
        2: ("data", ("map", "bytes")),
        3: ("type", "string"),
        4: ("stringData", ("map", "string")),
        5: ("immutable", "bool"),
    },
    "ServiceAccount": {1: ("metadata", _META)},
    "SelfSubjectAccessReview": {
        1: ("metadata", _META),
        2: (
            "spec",
            {
                1: ("resourceAttributes", _ATTRIBUTES),
                2: ("nonResourceAttributes", {1: ("path", "string"), 2: ("verb", "string")}),
            },
        ),
    },
    "SelfSubjectRulesReview": {1: ("metadata", _META), 2: ("spec", {1: ("namespace", "string")})},
}
_UNKNOWN: Message = {
    1: ("typeMeta", {1: ("apiVersion", "string"), 2: ("kind", "string")}),
    2: ("raw", "bytes"),
}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, varint value or length-delimited bytes) in order."""
    found: list[tuple[int, int | bytes]] = []
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            found.append((number, value))
        elif wire == 2:
            size, at = _varint(data, at)
            found.append((number, data[at : at + size]))
            at += size
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return found


def _scalar(kind: Any, value: int | bytes) -> Any:
    if kind == "bool":
        return bool(value)
    if not isinstance(value, bytes):
        raise ValueError("expected a length-delimited field")
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "string":
        return value.decode()
    return decode_message(value, kind)


def decode_message(data: bytes, schema: Message) -> Obj:
    result: Obj = {}
    for number, value in _fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "map":
            if not isinstance(value, bytes):
                raise ValueError("expected a map entry")
            entry = dict(_fields(value))
            key = entry.get(1, b"")
            item = entry.get(2, b"")
            assert isinstance(key, bytes)
            result.setdefault(name, {})[key.decode()] = _scalar(kind[1], item)
        elif isinstance(kind, tuple) and kind[0] == "repeated":
            result.setdefault(name, []).append(_scalar(kind[1], value))
        else:
            result[name] = _scalar(kind, value)
    return result


def decode(body: bytes) -> Obj:
    """A protobuf request body as the JSON object it stands for; 415 for other kinds."""
    if not body.startswith(_MAGIC):
        raise errors.bad_request("a protobuf body must start with the k8s magic number")
    try:
        unknown = decode_message(body[len(_MAGIC) :], _UNKNOWN)
        type_meta = unknown.get("typeMeta") or {}
        kind = type_meta.get("kind", "")
        schema = KINDS.get(kind)
        if schema is None:
            raise errors.ApiError(
                415,
                "UnsupportedMediaType",
                f"the local API reads protobuf bodies only for {', '.join(sorted(KINDS))} "
                f"(got {kind or 'an unknown kind'}); send JSON or YAML, e.g. kubectl create -f",
            )
        raw = base64.b64decode(unknown.get("raw", ""))
        obj = decode_message(raw, schema)
    except (ValueError, UnicodeDecodeError, AssertionError) as exc:
        raise errors.bad_request(f"the protobuf body could not be decoded: {exc}") from exc
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}

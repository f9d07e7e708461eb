"""`limit` and `continue`: list pages that together show one snapshot, as etcd serves them.

A continue token names the revision the first page was read at and the last key it
returned. Later pages are read at that same revision (the cluster rolls its current
objects back through the watch history), so an object deleted or added between pages
neither vanishes from nor appears in the listing. A token older than the retained
history answers 410 Expired; one that does not decode answers 400, both as a `Status`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from . import errors

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace or "", name): the order items are listed in."""

_VERSION = "meta.k8s.io/v1"


def encode(revision: int, last: Key) -> str:
    body = {"v": _VERSION, "rv": revision, "start": f"{last[0]}/{last[1]}\x00"}
    return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")


def decode(token: str) -> tuple[int, Key]:
    """The revision and the last key of the page a token continues; 400 when malformed."""
    try:
        padded = token + "=" * (-len(token) % 4)
        body = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        revision, start = body["rv"], body["start"]
        if body.get("v") != _VERSION or not isinstance(revision, int) or revision < 1:
            raise ValueError("unknown token version")
        namespace, _, name = str(start).rstrip("\x00").partition("/")
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise errors.bad_request(f"continue key is not valid: {exc}") from exc
    return revision, (namespace, name)


def expired() -> errors.ApiError:
    return errors.ApiError(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. "
        "You can start a new list without the continue parameter.",
    )


def limit(text: str | None) -> int:
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError as exc:
        raise errors.bad_request(f"limit must be an integer, got {text!r}") from exc
    return max(value, 0)


def key_of(obj: Obj) -> Key:
    meta = obj["metadata"]
    return (str(meta.get("namespace", "")), str(meta["name"]))


def page(items: list[Obj], after: Key | None, size: int) -> tuple[list[Obj], Key | None, int]:
    """Items after `after` (sorted by key), at most `size` (0: all); the last key, the rest."""
    if after is not None:
        items = [o for o in items if key_of(o) > after]
    if not size or size >= len(items):
        return items, None, 0
    shown = items[:size]
    return shown, key_of(shown[-1]), len(items) - size

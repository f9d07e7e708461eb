"""Durable object storage: an in-memory index written through to SQLite.

Reads never touch the disk; every write lands in one SQLite transaction (WAL journal,
synchronous=NORMAL) together with the global resourceVersion counter, so a restart on
the same state directory loses no object and resourceVersions keep rising.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

Obj = dict[str, Any]
Key = tuple[str, str, str, str]
"""(API group, resource plural, namespace or "", name)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    api_group TEXT NOT NULL,
    resource TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (api_group, resource, namespace, name)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Store:
    """Objects by key, the resourceVersion counter, and their SQLite copy."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._index: dict[tuple[str, str], dict[tuple[str, str], Obj]] = {}
        self._uids: dict[str, Key] = {}
        row = self._db.execute("SELECT value FROM counters WHERE name='revision'").fetchone()
        self.revision: int = row[0] if row else 0
        for group, plural, namespace, name, body in self._db.execute(
            "SELECT api_group, resource, namespace, name, body FROM objects"
        ):
            self._remember((group, plural, namespace, name), orjson.loads(body))

    def _remember(self, key: Key, obj: Obj) -> None:
        self._index.setdefault((key[0], key[1]), {})[(key[2], key[3])] = obj
        self._uids[obj["metadata"]["uid"]] = key

    def next_revision(self) -> int:
        """Reserve the next resourceVersion; it is persisted with the write that uses it."""
        self.revision += 1
        return self.revision

    def get(self, key: Key) -> Obj | None:
        return self._index.get((key[0], key[1]), {}).get((key[2], key[3]))

    def key_of_uid(self, uid: str) -> Key | None:
        return self._uids.get(uid)

    def items(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        """Objects of one resource, in one namespace or (None) all, sorted like etcd keys."""
        bucket = self._index.get((group, plural), {})
        keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
        return [bucket[k] for k in keys]

    def everything(self) -> Iterator[tuple[Key, Obj]]:
        for (group, plural), bucket in list(self._index.items()):
            for (namespace, name), obj in list(bucket.items()):
                yield (group, plural, namespace, name), obj

    def put(self, key: Key, obj: Obj) -> None:
        """Store `obj` (treated as immutable from now on) and the current revision."""
        body = orjson.dumps(obj)
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)", (*key, body))
            self._save_revision()
        old = self.get(key)
        if old is not None:
            self._uids.pop(old["metadata"]["uid"], None)
        self._remember(key, obj)

    def remove(self, key: Key) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM objects WHERE api_group=? AND resource=? AND namespace=? AND name=?",
                key,
            )
            self._save_revision()
        old = self._index.get((key[0], key[1]), {}).pop((key[2], key[3]), None)
        if old is not None:
            self._uids.pop(old["metadata"]["uid"], None)

    def _save_revision(self) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES ('revision', ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (self.revision,),
        )

    def close(self) -> None:
        self._db.close()

"""Types every layer shares: raw objects, references to objects, and the owner of a child.

Kept low and free of I/O, as kopf keeps its bodies and references in ``_cogs/structs``:
``api``, ``render``, ``decide`` and ``controllers`` all speak of objects in these terms,
and none of them has to import another layer to do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelops import API_VERSION

#: An object as the Kubernetes API serves it (a parsed JSON body).
Obj = dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """One object by name: what a write or an Event is about."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str = ""

    @classmethod
    def of(cls, obj: Obj) -> Ref:
        """The reference of a live (or rendered) object."""
        meta = obj.get("metadata") or {}
        return cls(
            str(obj["apiVersion"]),
            str(obj["kind"]),
            str(meta.get("namespace") or ""),
            str(meta["name"]),
            str(meta.get("uid") or ""),
        )

    def body(self) -> Obj:
        """The smallest body naming this object (enough to post an Event about it)."""
        meta = {"name": self.name, "namespace": self.namespace, "uid": self.uid}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta}


@dataclass(frozen=True)
class Owner:
    """The custom resource a child object belongs to."""

    kind: str
    name: str
    namespace: str
    uid: str

    @classmethod
    def of(cls, obj: Obj) -> Owner:
        meta = obj["metadata"]
        return cls(str(obj["kind"]), str(meta["name"]), str(meta["namespace"]), str(meta["uid"]))

    def reference(self, controller: bool = True) -> dict[str, object]:
        """An ownerReference that makes the owner's deletion garbage-collect the child."""
        return {
            "apiVersion": API_VERSION,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": controller,
            "blockOwnerDeletion": True,
        }

    def ref(self) -> Ref:
        return Ref(API_VERSION, self.kind, self.namespace, self.name, self.uid)


def owned_by(live: Obj, uid: str) -> bool:
    """Whether ``live`` names the object with ``uid`` among its owners."""
    references = (live.get("metadata") or {}).get("ownerReferences") or []
    return any(reference.get("uid") == uid for reference in references)

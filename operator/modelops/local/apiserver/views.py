"""How an answer is shown, chosen by the Accept header: as stored, as a Table, or metadata.

kubectl asks for `as=Table`; controllers that only need names, labels and owners (the
garbage collector, controller-runtime's metadata-only informers, `kubectl get -o name`
in some versions) ask for `as=PartialObjectMetadata` or `as=PartialObjectMetadataList`,
and get `meta.k8s.io/v1` objects that carry only `metadata`.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

META_VERSION = "meta.k8s.io/v1"


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def wants_metadata(accept: str) -> bool:
    return "as=PartialObjectMetadata" in accept


def partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": META_VERSION,
        "metadata": obj["metadata"],
    }


def partial_list(items: list[Obj], meta: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": META_VERSION,
        "metadata": meta,
        "items": [partial(o) for o in items],
    }

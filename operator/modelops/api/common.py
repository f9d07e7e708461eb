"""Pieces shared by every custom resource: the base model, Conditions, references.

``ApiModel`` fixes the conventions once: camelCase on the wire, snake_case in
Python, unknown fields rejected. ``set_condition`` is the one way to change a
condition, so ``lastTransitionTime`` moves only when the status really changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict

#: A Kubernetes object name (RFC 1123 DNS subdomain, kept to a label so it can prefix children).
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#: A Kubernetes resource quantity such as ``500m``, ``2``, ``1Gi``.
QUANTITY = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
#: A duration such as ``90s``, ``5m``, ``1h30m``.
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
#: A sha256 digest as the operator writes it.
DIGEST = r"^sha256:[a-f0-9]{64}$"
#: A condition reason: CamelCase, as the Kubernetes API conventions ask.
REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

ModelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=50,
        pattern=DNS_LABEL,
        description="Name of the model (a DNS label); versions and deployments refer to it.",
    ),
]


def immutable(message: str = "is immutable") -> JsonDict:
    """Schema extension making a field unchangeable after create (a CEL transition rule)."""
    return {"x-kubernetes-validations": [{"rule": "self == oldSelf", "message": message}]}


class ApiModel(BaseModel):
    """Base of every spec and status model: camelCase aliases, unknown fields forbidden."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=True,
    )

    def to_api(self) -> dict[str, object]:
        """The object as the Kubernetes API carries it: camelCase keys, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def to_merge_patch(self) -> dict[str, Any]:
        """A JSON merge patch that makes the live object equal to this one.

        Unset fields become ``null`` so the patch removes them; inside lists (which a
        merge patch replaces whole) unset fields are left out, as the schema requires.
        """
        dumped: dict[str, Any] = self.model_dump(by_alias=True, mode="json")
        return {key: _without_nulls_in_lists(value) for key, value in dumped.items()}


def _without_nulls_in_lists(value: Any, in_list: bool = False) -> Any:
    if isinstance(value, list):
        return [_without_nulls_in_lists(item, True) for item in value]
    if isinstance(value, dict):
        return {
            k: _without_nulls_in_lists(v, in_list)
            for k, v in value.items()
            if not (in_list and v is None)
        }
    return value


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(ApiModel):
    """One aspect of an object's state, following the Kubernetes API conventions."""

    type: str = Field(
        min_length=1, max_length=316, description="Type of condition in CamelCase, e.g. Ready."
    )
    status: ConditionStatus = Field(description="Status of the condition: True, False or Unknown.")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=REASON,
        description="Programmatic identifier in CamelCase for the last transition.",
    )
    message: str = Field(
        default="", max_length=32768, description="Human-readable detail about the transition."
    )
    last_transition_time: datetime = Field(
        description="Last time the condition moved from one status to another."
    )
    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="The .metadata.generation the condition was set from.",
    )


class SecretKeyRef(ApiModel):
    """A reference to one key of a Secret in the object's namespace."""

    name: str = Field(pattern=DNS_LABEL, max_length=253, description="Name of the Secret.")
    key: str = Field(min_length=1, max_length=253, description="Key within the Secret.")


class Resources(ApiModel):
    """Compute resources of a container, as in a Pod spec."""

    requests: dict[str, Annotated[str, Field(pattern=QUANTITY)]] = Field(
        default_factory=dict,
        description="Minimum resources, e.g. {cpu: 500m, memory: 1Gi}.",
    )
    limits: dict[str, Annotated[str, Field(pattern=QUANTITY)]] = Field(
        default_factory=dict,
        description="Maximum resources, e.g. {cpu: '2', memory: 2Gi}.",
    )


def set_condition(
    conditions: list[Condition],
    type: str,
    status: ConditionStatus | bool,
    reason: str,
    message: str,
    *,
    now: datetime,
    generation: int | None = None,
) -> list[Condition]:
    """Return ``conditions`` with ``type`` set; the input list is not changed.

    ``lastTransitionTime`` is kept when the status stays the same (only reason,
    message or generation change) and set to ``now`` when the status moves.
    """
    if isinstance(status, bool):
        status = ConditionStatus.TRUE if status else ConditionStatus.FALSE
    previous = next((c for c in conditions if c.type == type), None)
    moved = previous is None or previous.status != status
    updated = Condition(
        type=type,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=now if moved or previous is None else previous.last_transition_time,
        observed_generation=generation,
    )
    if previous is None:
        return [*conditions, updated]
    return [updated if c.type == type else c for c in conditions]


def find_condition(conditions: list[Condition], type: str) -> Condition | None:
    """The condition of ``type``, or None."""
    return next((c for c in conditions if c.type == type), None)


def is_true(conditions: list[Condition], type: str) -> bool:
    """Whether the condition of ``type`` is present with status True."""
    found = find_condition(conditions, type)
    return found is not None and found.status == ConditionStatus.TRUE


ModelT = TypeVar("ModelT", bound=ApiModel)


def describe(error: ValidationError) -> str:
    """A validation error as one line per field: ``spec.dataset.uri: <problem>``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def status_of(model: type[ModelT], body: dict[str, Any]) -> ModelT:
    """An object's status as ``model``; a status that cannot be read starts afresh."""
    try:
        return model.model_validate(body.get("status") or {})
    except ValidationError:
        return model()

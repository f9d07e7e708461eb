"""Admission for custom resources: prune, default and validate against the CRD schema.

The order follows the real API server: unknown fields are pruned (or, with
`fieldValidation=Strict`, rejected with 400 like a strict decoding error), `default`s are
applied recursively, then the object is validated with jsonschema (draft 4, which
OpenAPI v3.0 schemas follow) and failures become a 422 Invalid whose causes name fields.

Of the `x-kubernetes-validations` CEL rules only the transition rule `self == oldSelf`
(immutability) is evaluated, on updates; other CEL rules are accepted and not enforced,
since a CEL interpreter is not worth carrying for a local double.
"""

from __future__ import annotations

import copy
from typing import Any, cast

import jsonschema
import orjson

from . import errors
from .kinds import ResourceType

Obj = dict[str, Any]

_KEPT_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "required",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "multipleOf",
        "minProperties",
        "maxProperties",
    }
)
_IMMUTABLE_RULES = frozenset({"self==oldSelf", "oldSelf==self"})
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


def prune(value: Any, schema: Obj, path: str, unknown: list[str], root: bool = False) -> Any:
    """Drop fields the schema does not declare, recording their paths in `unknown`."""
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [prune(v, items, _join(path, i), unknown) for i, v in enumerate(value)]
        return value
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    keep_meta = root or schema.get("x-kubernetes-embedded-resource")
    result: Obj = {}
    for key, item in value.items():
        if keep_meta and key in _ROOT_FIELDS:
            result[key] = item
        elif key in properties:
            result[key] = prune(item, properties[key], _join(path, key), unknown)
        elif isinstance(extra, dict):
            result[key] = prune(item, extra, _join(path, key), unknown)
        elif extra is True:
            result[key] = item
        else:
            unknown.append(_join(path, key))
    return result


def apply_defaults(value: Any, schema: Obj) -> Any:
    """Fill in `default`s wherever the parent object exists, like the API server."""
    if isinstance(value, list):
        items = schema.get("items")
        return [apply_defaults(v, items) for v in value] if isinstance(items, dict) else value
    if not isinstance(value, dict):
        return value
    result = dict(value)
    for key, sub in (schema.get("properties") or {}).items():
        if key not in result and "default" in sub:
            result[key] = copy.deepcopy(sub["default"])
        if key in result:
            result[key] = apply_defaults(result[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        declared = schema.get("properties") or {}
        for key in result:
            if key not in declared:
                result[key] = apply_defaults(result[key], extra)
    return result


def to_jsonschema(schema: Obj) -> Obj:
    """An OpenAPI v3 structural schema as plain draft-4 JSON Schema."""
    out: Obj = {k: v for k, v in schema.items() if k in _KEPT_KEYWORDS}
    if "properties" in schema:
        out["properties"] = {k: to_jsonschema(v) for k, v in schema["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            out[key] = to_jsonschema(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out[key] = [to_jsonschema(s) for s in schema[key]]
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    if schema.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _show(value: Any) -> str:
    return orjson.dumps(value).decode()


def _cause(error: jsonschema.ValidationError) -> Obj:
    path = ""
    for part in error.absolute_path:
        path = _join(path, part)
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        return {
            "reason": "FieldValueRequired",
            "message": "Required value",
            "field": _join(path, missing),
        }
    if error.validator == "enum":
        allowed = ", ".join(_show(v) for v in cast(list[Any], error.validator_value))
        return {
            "reason": "FieldValueNotSupported",
            "message": f"Unsupported value: {_show(error.instance)}: supported values: {allowed}",
            "field": path,
        }
    if error.validator == "type":
        detail = f"{path} in body must be of type {error.validator_value}: {_show(error.instance)}"
        return {
            "reason": "FieldValueTypeInvalid",
            "message": f"Invalid value: {_show(error.instance)}: {detail}",
            "field": path,
        }
    bounds = {
        "minimum": "should be greater than or equal to",
        "maximum": "should be less than or equal to",
        "minLength": "should be at least",
        "maxLength": "may not be longer than",
    }
    detail = (
        f"{path} in body {bounds[str(error.validator)]} {error.validator_value}"
        if error.validator in bounds
        else str(error.message)
    )
    return {
        "reason": "FieldValueInvalid",
        "message": f"Invalid value: {_show(error.instance)}: {detail}",
        "field": path,
    }


def _transition_causes(schema: Obj, new: Any, old: Any, path: str, causes: list[Obj]) -> None:
    for rule in schema.get("x-kubernetes-validations") or []:
        if "".join(str(rule.get("rule", "")).split()) in _IMMUTABLE_RULES and new != old:
            message = rule.get("message") or f"failed rule: {rule.get('rule')}"
            shown = schema.get("type", "object")
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "message": f'Invalid value: "{shown}": {message}',
                    "field": path or "<nil>",
                }
            )
    if isinstance(new, dict) and isinstance(old, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in new and key in old:
                _transition_causes(sub, new[key], old[key], _join(path, key), causes)


def admit(rtype: ResourceType, obj: Obj, old: Obj | None, strict: bool) -> tuple[Obj, list[str]]:
    """Prune, default and validate a custom resource; returns it and any warnings."""
    schema = rtype.schema or {}
    unknown: list[str] = []
    pruned = prune(obj, schema, "", unknown, root=True)
    if unknown and strict:
        detail = ", ".join(f'unknown field "{field}"' for field in unknown)
        raise errors.bad_request(
            f"{rtype.kind} in version {rtype.version!r} cannot be handled as a {rtype.kind}: "
            f"strict decoding error: {detail}"
        )
    warnings = [f'unknown field "{field}"' for field in unknown]
    defaulted = apply_defaults(pruned, schema)
    body = {k: v for k, v in defaulted.items() if k not in _ROOT_FIELDS}
    root = dict(schema)
    root["properties"] = {
        k: v for k, v in (schema.get("properties") or {}).items() if k not in _ROOT_FIELDS
    }
    root["required"] = [r for r in schema.get("required") or [] if r not in _ROOT_FIELDS]
    validator = jsonschema.Draft4Validator(to_jsonschema(root))
    causes = [_cause(e) for e in sorted(validator.iter_errors(body), key=lambda e: list(e.path))]
    if old is not None:
        old_body = {k: v for k, v in old.items() if k not in _ROOT_FIELDS}
        _transition_causes(root, body, old_body, "", causes)
    if causes:
        raise errors.invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), causes)
    return defaulted, warnings


def admit_crd(crd: Obj, now: str) -> Obj:
    """Check the parts of a CRD we depend on and fill in the status a real server reports."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = crd.get("metadata", {}).get("name", "")
    causes: list[Obj] = []
    for field, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
        ("spec.versions", spec.get("versions")),
    ):
        if not value:
            causes.append(
                {"reason": "FieldValueRequired", "message": "Required value", "field": field}
            )
    if not causes and name != f"{names['plural']}.{spec['group']}":
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "message": f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                "field": "metadata.name",
            }
        )
    storage = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
    if not causes and len(storage) != 1:
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: must have exactly one version marked as storage version",
                "field": "spec.versions",
            }
        )
    if causes:
        raise errors.invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes)
    result = copy.deepcopy(crd)
    spec = result["spec"]
    spec.setdefault("scope", "Namespaced")
    spec["names"].setdefault("singular", spec["names"]["kind"].lower())
    spec["names"].setdefault("listKind", f"{spec['names']['kind']}List")
    conditions = [
        {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    result["status"] = {
        "conditions": conditions,
        "acceptedNames": spec["names"],
        "storedVersions": storage,
    }
    return result

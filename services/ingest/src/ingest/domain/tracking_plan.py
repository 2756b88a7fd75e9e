"""Tracking plans (pure): per source, a JSON Schema for the properties of each planned track event.

A plan is ``{"mode": "observe" | "enforce", "events": {"<event name>": <JSON Schema>}}``. Checking a
track call yields its violations, each a kind, the field and the reason:

* ``unplanned_event``: the event's name is not in the plan;
* ``missing_property``: a property the schema requires is absent;
* ``wrong_type``: a property has another JSON type than the schema says;
* ``extra_property``: a property the schema does not list (unless it sets additionalProperties);
* ``invalid_value``: any other schema rule (enum, pattern, minimum…).

``observe`` counts violations and annotates the event; ``enforce`` rejects it (ingest's service).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry

Mode = Literal["observe", "enforce"]
KINDS = ("unplanned_event", "missing_property", "wrong_type", "extra_property", "invalid_value")
MAX_VIOLATIONS = 20  # per event: enough to fix it, bounded for a hostile payload


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "field": self.field, "reason": self.reason}


class PlanError(ValueError):
    """The plan itself is invalid; ``field`` names where (``events.<name>``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _remote_ref(node: Any) -> str | None:
    """The first reference that is not local to the schema: a plan never makes ingest fetch a URL."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and not (isinstance(value, str) and value.startswith("#")):
                return str(value)[:100]
            if (found := _remote_ref(value)) is not None:
                return found
    elif isinstance(node, list):
        return next((found for item in node if (found := _remote_ref(item)) is not None), None)
    return None


def _field(path: Any) -> str:
    return ".".join(["properties", *(str(p) for p in path)])


def _classify(error: ValidationError) -> Iterator[Violation]:
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        required = error.validator_value if isinstance(error.validator_value, list) else []
        for name in required:
            if name not in present:
                yield Violation("missing_property", _field([*error.absolute_path, name]), "is required by the plan")
    elif error.validator == "type":
        yield Violation("wrong_type", _field(error.absolute_path), f"must be {error.validator_value}")
    elif error.validator != "additionalProperties":  # extra properties are reported by name below
        yield Violation("invalid_value", _field(error.absolute_path), error.message[:200])


def _extras(schema: Mapping[str, Any], properties: Mapping[str, Any]) -> Iterator[Violation]:
    """Properties the schema does not list: unless it allows more (additionalProperties true or a
    schema), or says nothing of its properties at all."""
    allowed = schema.get("additionalProperties")
    listed = schema.get("properties")
    if (allowed is not None and allowed is not False) or (allowed is None and not isinstance(listed, dict)):
        return
    names = listed if isinstance(listed, dict) else {}
    for name in properties:
        if name not in names:
            yield Violation("extra_property", _field([name]), "is not in the plan")


@dataclass(frozen=True)
class TrackingPlan:
    mode: Mode
    events: Mapping[str, Mapping[str, Any]]

    def __post_init__(self) -> None:
        compiled = {}
        for name, schema in self.events.items():
            if not isinstance(schema, dict):
                raise PlanError(f"events.{name}", "must be a JSON Schema object")
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                raise PlanError(f"events.{name}", f"not a valid JSON Schema: {exc.message[:200]}") from None
            if (ref := _remote_ref(schema)) is not None:
                raise PlanError(f"events.{name}", f"$ref '{ref}': only references inside the schema (#...) are allowed")
            compiled[name] = Draft202012Validator(schema, registry=Registry())
        object.__setattr__(self, "_validators", compiled)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> TrackingPlan:
        mode = doc.get("mode", "observe")
        if mode not in ("observe", "enforce"):
            raise PlanError("mode", "must be observe or enforce")
        events = doc.get("events")
        if not isinstance(events, dict):
            raise PlanError("events", "must be an object of event name → JSON Schema of its properties")
        return cls(mode, events)

    def as_doc(self) -> dict[str, Any]:
        return {"mode": self.mode, "events": dict(self.events)}

    def check(self, event: str, properties: Mapping[str, Any]) -> list[Violation]:
        validators: dict[str, Draft202012Validator] = object.__getattribute__(self, "_validators")
        validator = validators.get(event)
        if validator is None:
            return [Violation("unplanned_event", "event", f"'{event[:100]}' is not in the tracking plan")]
        found = [v for error in validator.iter_errors(properties) for v in _classify(error)]
        found.extend(_extras(self.events[event], properties))
        return found[:MAX_VIOLATIONS]

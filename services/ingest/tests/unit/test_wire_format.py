"""The tracking wire format has one meaning: what the OpenAPI document shows (``wire_schemas``) is what
``domain.normalise`` validates. Every documented example is accepted; every field a call's document
requires is enforced by normalise, naming that field; a field of the wrong type is refused by both."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ingest import wire_schemas as wire
from ingest.domain.normalise import Message, Rejection, normalise

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CALLS: dict[str, type[BaseModel]] = {
    "track": wire.TrackCall,
    "identify": wire.IdentifyCall,
    "group": wire.GroupCall,
    "page": wire.PageCall,
    "screen": wire.ScreenCall,
    "alias": wire.AliasCall,
}
MINIMAL: dict[str, dict[str, Any]] = {
    "track": {"userId": "u", "event": "Report Exported"},
    "identify": {"userId": "u"},
    "group": {"userId": "u", "groupId": "acme"},
    "page": {"userId": "u"},
    "screen": {"userId": "u"},
    "alias": {"userId": "u", "previousId": "anon"},
}


def _examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = model.model_json_schema().get("examples", [])
    return found


def _normalised(call: str, body: dict[str, Any]) -> Message | Rejection:
    return normalise(body, index=0, received_at=NOW, default_type=call)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_documented_example_is_accepted_by_both(call: str) -> None:
    examples = _examples(CALLS[call]) or [MINIMAL[call]]
    for example in examples:
        CALLS[call].model_validate(example)
        assert isinstance(_normalised(call, example), Message), example


def test_the_documented_batch_example_is_accepted_event_by_event() -> None:
    (example,) = _examples(wire.BatchCall)
    wire.BatchCall.model_validate(example)
    for i, item in enumerate(example["batch"]):
        assert isinstance(normalise(item, index=i, received_at=NOW, batch_context=example["context"]), Message)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_each_documented_required_field_is_enforced_by_normalise(call: str) -> None:
    model = CALLS[call]
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    assert isinstance(_normalised(call, MINIMAL[call]), Message)
    for name in required:
        body = {k: v for k, v in MINIMAL[call].items() if k != name}
        with pytest.raises(ValidationError):
            model.model_validate(body)
        refused = _normalised(call, body)
        assert isinstance(refused, Rejection) and refused.field == name, (call, name, refused)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_documented_field_of_the_wrong_type_is_refused_by_both(call: str) -> None:
    model = CALLS[call]
    for name, info in model.model_fields.items():
        if name in ("type", "writeKey") or info.annotation is None:
            continue
        body = {**MINIMAL[call], name: ["not", "a", "scalar", "nor", "an", "object"]}
        with pytest.raises(ValidationError):
            model.model_validate(body)
        refused = _normalised(call, body)
        assert isinstance(refused, Rejection) and refused.field == name, (call, name, refused)


def test_userid_or_anonymousid_is_required_in_both_meanings() -> None:
    refused = _normalised("identify", {"traits": {}})
    assert isinstance(refused, Rejection) and refused.field == "userId"
    assert isinstance(_normalised("identify", {"anonymousId": "anon-1"}), Message)

"""Tracking plans (pure): each violation kind, and the invariants a plan must keep."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

from ingest.domain.tracking_plan import PlanError, TrackingPlan

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "format": {"type": "string", "enum": ["pdf", "csv"]},
        "pages": {"type": "integer", "minimum": 1},
        "shared": {"type": "boolean"},
    },
    "required": ["format"],
}
PLAN = TrackingPlan.from_doc({"mode": "observe", "events": {"Report Exported": SCHEMA}})


def kinds(props: dict[str, Any], event: str = "Report Exported") -> list[tuple[str, str]]:
    return [(v.kind, v.field) for v in PLAN.check(event, props)]


def test_each_kind_of_violation_names_its_field() -> None:
    assert kinds({"format": "pdf", "pages": 3}) == []
    assert kinds({"pages": 3}) == [("missing_property", "properties.format")]
    assert kinds({"format": "pdf", "pages": "3"}) == [("wrong_type", "properties.pages")]
    assert kinds({"format": "pdf", "colour": "red"}) == [("extra_property", "properties.colour")]
    assert kinds({"format": "doc"}) == [("invalid_value", "properties.format")]
    assert kinds({}, event="Report Printed") == [("unplanned_event", "event")]


def test_extra_properties_follow_additional_properties() -> None:
    open_schema = {**SCHEMA, "additionalProperties": True}
    closed = {**SCHEMA, "additionalProperties": False}
    plan = TrackingPlan.from_doc({"events": {"open": open_schema, "closed": closed, "loose": {"type": "object"}}})
    assert plan.check("open", {"format": "pdf", "x": 1}) == []
    assert [v.kind for v in plan.check("closed", {"format": "pdf", "x": 1})] == ["extra_property"]  # once, not twice
    assert plan.check("loose", {"anything": 1}) == []


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"mode": "block", "events": {}}, "mode"),
        ({"events": []}, "events"),
        ({"events": {"e": {"type": "nonsense"}}}, "events.e"),
        ({"events": {"e": {"$ref": "https://attacker.example/schema.json"}}}, "events.e"),
        ({"events": {"e": {"properties": {"p": {"$ref": "file:///etc/passwd"}}}}}, "events.e"),
    ],
)
def test_an_invalid_plan_is_refused_naming_where(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(PlanError) as err:
        TrackingPlan.from_doc(doc)
    assert err.value.field == field


def test_local_references_are_allowed() -> None:
    plan = TrackingPlan.from_doc(
        {"events": {"e": {"$defs": {"f": {"type": "string"}}, "properties": {"f": {"$ref": "#/$defs/f"}}}}}
    )
    assert [v.kind for v in plan.check("e", {"f": 1})] == ["wrong_type"]


conforming = st.fixed_dictionaries(
    {"format": st.sampled_from(["pdf", "csv"])},
    optional={"pages": st.integers(min_value=1, max_value=10**6), "shared": st.booleans()},
)


@given(conforming)
def test_a_conforming_event_has_no_violation(props: dict[str, Any]) -> None:
    assert PLAN.check("Report Exported", props) == []


@given(conforming, st.text(min_size=1, max_size=20).filter(lambda k: k not in SCHEMA["properties"]), st.integers())
def test_each_unlisted_property_is_reported_once_by_name(props: dict[str, Any], extra: str, value: int) -> None:
    found = PLAN.check("Report Exported", props | {extra: value})
    assert [(v.kind, v.field) for v in found] == [("extra_property", f"properties.{extra}")]


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(), st.none()), max_size=60))
def test_violations_are_bounded(props: dict[str, Any]) -> None:
    assert len(PLAN.check("Report Exported", props)) <= 20

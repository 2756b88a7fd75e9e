"""The event contract: every event type has a committed JSON-schema snapshot, and the models stay
compatible with it. An incompatible change fails here; make a new ...v2 type instead."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bellwether_shared.contracts import SCHEMA_DIR, current_migrations, current_schemas, problems, recorded_migrations
from bellwether_shared.events import CATALOGUE

CURRENT = current_schemas()


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_snapshot_exists_and_is_compatible(event_type: str) -> None:
    path = SCHEMA_DIR / f"{event_type}.json"
    assert path.exists(), f"no snapshot for {event_type}: run python -m bellwether_shared.contracts write"
    assert problems(json.loads(path.read_text()), CURRENT[event_type]) == []


def test_every_snapshot_still_has_a_model() -> None:
    orphans = {p.stem for p in SCHEMA_DIR.glob("*.json")} - set(CATALOGUE)
    assert orphans == set(), f"event types removed from the catalogue: {orphans}"


def test_event_types_are_versioned_past_tense_names() -> None:
    for event_type, cls in CATALOGUE.items():
        assert event_type.startswith("bellwether.") and event_type.rsplit(".", 1)[-1].startswith("v")
        assert cls.topic.endswith(".v1")


BASE = CURRENT["bellwether.signals.ticket_changed.v1"]


def _mutated(change) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    schema = copy.deepcopy(BASE)
    change(schema)
    return schema


def test_checker_accepts_a_new_optional_property() -> None:
    new = _mutated(lambda s: s["properties"].update(priority={"type": "integer"}))
    assert problems(BASE, new) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["properties"].pop("ticket_id"), "ticket_id: removed"),
        (lambda s: s["properties"].update(ticket_id={"type": "integer"}), "ticket_id: type changed"),
        (lambda s: s["required"].append("subject_line"), "subject_line: newly required"),
        (lambda s: s["required"].remove("ticket_id"), "ticket_id: no longer required"),
        (
            lambda s: s["properties"].update(status={"enum": ["opened", "closed"], "type": "string"}),
            "status: enum values removed",
        ),
    ],
)
def test_checker_refuses_incompatible_changes(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    found = problems(BASE, _mutated(change))
    assert any(p.startswith(expected) for p in found), found


def test_checker_sees_changes_inside_nested_models() -> None:
    deal = CURRENT["bellwether.signals.deal_closed_won.v1"]
    new = copy.deepcopy(deal)
    new["$defs"]["Qualification"]["properties"]["problem_severity"] = {"type": "string"}
    assert "qualification.problem_severity: type changed" in problems(deal, new)


def test_the_contract_document_names_every_event_type() -> None:
    doc = (SCHEMA_DIR.parent.parent / "docs" / "events.md").read_text()
    missing = [t for t in CATALOGUE if f"`{t}`" not in doc]
    assert missing == [], f"docs/events.md does not mention {missing}"


def test_no_recorded_migration_was_edited_and_every_one_is_recorded() -> None:
    """A database that applied a migration refuses an edited one: a change is a new migration."""
    recorded, current = recorded_migrations(), current_migrations()
    edited = sorted(n for n in recorded.keys() & current.keys() if recorded[n] != current[n])
    assert edited == [], f"migrations edited after they were recorded (write a new one instead): {edited}"
    missing = sorted(current.keys() - recorded.keys())
    assert missing == [], f"not recorded: {missing}: run python -m bellwether_shared.contracts write"
    assert recorded.keys() <= current.keys(), "a recorded migration was deleted"

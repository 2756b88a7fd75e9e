from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from bellwether_shared.envelope import Envelope, EnvelopeError, from_record
from bellwether_shared.events import derive_event_id
from bellwether_shared.events.ingest import NpsSubmitted


def test_headers_round_trip_carries_cloudevents_attributes() -> None:
    env = Envelope(
        id="e1",
        type="bellwether.x.v1",
        source="bellwether/test",
        topic="t",
        data=b'{"a":1}',
        subject="acme",
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    headers = env.headers()
    names = [k for k, _ in headers]
    assert names[:6] == ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "content-type"]
    back = from_record(topic="t", key=env.record_key, value=env.data, headers=headers)
    assert (back.id, back.type, back.source, back.subject, back.time) == (
        env.id,
        env.type,
        env.source,
        "acme",
        env.time,
    )
    assert env.record_key == b"acme"


def test_record_without_required_headers_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="ce_type"):
        from_record(topic="t", key=None, value=b"{}", headers=[("ce_id", b"1"), ("ce_source", b"s")])


def test_event_envelope_is_keyed_by_account_and_tolerates_unknown_fields() -> None:
    now = datetime.now(UTC)
    event = NpsSubmitted(
        message_id="m", source_id="s", account_id="acme", received_at=now, occurred_at=now, contact_id="c", score=9
    )
    env = event.envelope(event_id="id-1", source="bellwether/ingest/s")
    assert env.record_key == b"acme" and env.subject == "acme" and env.topic == "signals.v1"
    doc = orjson.loads(env.data) | {"added_in_a_later_minor": True}
    assert NpsSubmitted.parse(orjson.dumps(doc)).score == 9


def test_derived_event_ids_are_stable_and_distinct() -> None:
    assert derive_event_id("src", "m1") == derive_event_id("src", "m1")
    assert derive_event_id("src", "m1") != derive_event_id("src", "m2")
    assert derive_event_id("src", "m1") != derive_event_id("other", "m1")


def test_fast_event_id_equals_uuid5() -> None:
    import uuid

    from bellwether_shared.events.base import EVENT_ID_NAMESPACE

    for parts in (("src", "m1"), ("s", "é ünïcode", "identity"), ("",)):
        assert derive_event_id(*parts) == str(uuid.uuid5(EVENT_ID_NAMESPACE, "\x1f".join(parts)))

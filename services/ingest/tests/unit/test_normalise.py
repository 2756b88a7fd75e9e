from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, strategies as st

from ingest.domain.normalise import (
    MAX_EVENT_BYTES,
    Message,
    Rejection,
    message_from_dict,
    message_to_dict,
    normalise,
)

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def ok(raw: Any, **kw: Any) -> Message:
    result = normalise(raw, index=0, received_at=NOW, **kw)
    assert isinstance(result, Message), result
    return result


def rejected(raw: Any, **kw: Any) -> Rejection:
    result = normalise(raw, index=3, received_at=NOW, **kw)
    assert isinstance(result, Rejection), result
    return result


def test_track_needs_an_event_name() -> None:
    r = rejected({"type": "track", "userId": "u", "messageId": "m1"})
    assert (r.index, r.message_id, r.field, r.reason) == (3, "m1", "event", "is required for track calls")


def test_user_or_anonymous_id_is_required() -> None:
    assert rejected({"type": "track", "event": "x"}).field == "userId"
    assert ok({"type": "track", "event": "x", "anonymousId": "a"}).anonymous_id == "a"
    assert ok({"type": "track", "event": "x", "userId": 42}).user_id == "42"


def test_batch_items_need_a_known_type() -> None:
    assert rejected({"userId": "u"}).field == "type"
    assert rejected({"type": "bogus", "userId": "u"}).field == "type"
    assert rejected({"type": "identify", "userId": "u"}, default_type="track").field == "type"
    assert ok({"userId": "u", "event": "e"}, default_type="track").type == "track"


def test_message_id_is_generated_when_missing_and_capped_at_100_chars() -> None:
    a, b = ok({"type": "identify", "userId": "u"}), ok({"type": "identify", "userId": "u"})
    assert a.message_id and a.message_id != b.message_id
    assert ok({"type": "identify", "userId": "u", "messageId": "x" * 100}).message_id == "x" * 100
    assert rejected({"type": "identify", "userId": "u", "messageId": "x" * 101}).field == "messageId"


def test_clock_skew_is_corrected_from_sent_at() -> None:
    # the client's clock is 1 hour fast: it stamped the event 5 s before it sent the batch
    client_event = NOW + timedelta(hours=1) - timedelta(seconds=5)
    client_sent = NOW + timedelta(hours=1)
    msg = ok(
        {"type": "track", "userId": "u", "event": "e", "originalTimestamp": client_event.isoformat()},
        batch_sent_at=client_sent,
    )
    assert msg.timestamp == NOW - timedelta(seconds=5)
    assert msg.original_timestamp == client_event and msg.received_at == NOW


def test_timestamp_without_sent_at_is_taken_as_is_and_missing_means_received() -> None:
    t = "2026-11-01T10:00:00Z"
    assert ok({"type": "track", "userId": "u", "event": "e", "timestamp": t}).timestamp == datetime(
        2026, 11, 1, 10, tzinfo=UTC
    )
    assert ok({"type": "track", "userId": "u", "event": "e"}).timestamp == NOW
    assert rejected({"type": "track", "userId": "u", "event": "e", "timestamp": "yesterday"}).field == "timestamp"


def test_batch_context_and_integrations_are_merged_with_the_item_winning() -> None:
    msg = ok(
        {
            "type": "track",
            "userId": "u",
            "event": "e",
            "context": {"groupId": "acme", "ip": "item"},
            "integrations": {"All": False},
        },
        batch_context={"ip": "batch", "library": {"name": "x"}},
        batch_integrations={"All": True, "X": 1},
    )
    assert msg.context == {"groupId": "acme", "ip": "item", "library": {"name": "x"}}
    assert msg.integrations == {"All": False, "X": 1}


def test_events_over_32kb_are_rejected() -> None:
    r = rejected({"type": "track", "userId": "u", "event": "e", "properties": {"blob": "x" * MAX_EVENT_BYTES}})
    assert r.field == "" and "limit is 32768" in r.reason


def test_call_specific_fields() -> None:
    assert rejected({"type": "group", "userId": "u"}).field == "groupId"
    assert ok({"type": "group", "userId": "u", "groupId": 7}).group_id == "7"
    assert rejected({"type": "alias", "userId": "u"}).field == "previousId"
    assert rejected({"type": "alias", "anonymousId": "a", "previousId": "p"}).field == "userId"
    assert ok({"type": "page", "userId": "u"}).event == "Page Viewed"
    assert ok({"type": "screen", "userId": "u", "name": "Home"}).event == "Home"
    assert rejected({"type": "track", "userId": "u", "event": "e", "properties": [1]}).field == "properties"


def test_messages_survive_the_parking_round_trip() -> None:
    msg = ok({"type": "track", "userId": "u", "event": "e", "properties": {"a": 1}, "sentAt": NOW.isoformat()})
    assert message_from_dict(message_to_dict(msg)) == msg


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
call_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["track", "identify", "group", "page", "screen", "alias", "x"]) | json_values,
        "userId": st.text(max_size=5) | json_values,
        "anonymousId": json_values,
        "event": json_values,
        "groupId": json_values,
        "previousId": json_values,
        "messageId": json_values,
        "timestamp": json_values,
        "sentAt": json_values,
        "context": json_values,
        "properties": json_values,
    },
)


@given(st.one_of(json_values, call_like))
def test_normalise_never_raises_and_rejections_name_a_reason(raw: Any) -> None:
    result = normalise(raw, index=0, received_at=NOW)
    assert isinstance(result, Message | Rejection)
    if isinstance(result, Rejection):
        assert result.reason
    else:
        assert result.user_id or result.anonymous_id
        assert 0 < len(result.message_id) <= 100

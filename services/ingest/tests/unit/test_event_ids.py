"""Event ids: the same messageId from one source is one event per kind of message, never across kinds."""

from __future__ import annotations

from hypothesis import given, strategies as st

from ingest.events import signal_event_id, usage_event_id

ids = st.text(min_size=1, max_size=100)


@given(source=ids, message_id=ids)
def test_a_signal_and_a_tracking_call_with_one_message_id_are_two_events(source: str, message_id: str) -> None:
    assert signal_event_id(source, message_id) != usage_event_id(source, message_id)


@given(source=ids, message_id=ids)
def test_the_same_message_again_is_the_same_event(source: str, message_id: str) -> None:
    assert signal_event_id(source, message_id) == signal_event_id(source, message_id)
    assert usage_event_id(source, message_id) == usage_event_id(source, message_id)

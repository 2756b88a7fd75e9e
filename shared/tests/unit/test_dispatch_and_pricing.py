"""The handler table (typed parse, one route per type, raw routes, poison on a bad payload) and
the one discount formula."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from bellwether_shared.dispatch import Handlers
from bellwether_shared.envelope import Envelope
from bellwether_shared.events import ingest as ev
from bellwether_shared.pricing import below_value_threshold, discount_pct
from bellwether_shared.records import Consumed

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def consumed(event_type: str, payload: dict[str, object]) -> Consumed:
    env = Envelope(id="e1", type=event_type, source="bellwether/test", topic="t", data=orjson.dumps(payload))
    return Consumed(env, 0, 0, payload)


NPS = {
    "message_id": "m",
    "source_id": "s",
    "account_id": "a",
    "received_at": NOW.isoformat(),
    "occurred_at": NOW.isoformat(),
    "contact_id": "c",
    "score": 9,
}


async def test_each_type_reaches_its_handler_parsed_and_unknown_types_are_skipped() -> None:
    table: Handlers[list[object]] = Handlers()

    @table.on(ev.NpsSubmitted)
    async def on_nps(seen: list[object], e: ev.NpsSubmitted, c: Consumed) -> None:
        seen.append(e)

    @table.on_raw("bellwether.usage.recorded.v1")
    async def on_usage(seen: list[object], p: dict[str, object], c: Consumed) -> None:
        seen.append(p)

    seen: list[object] = []
    assert await table.dispatch(seen, consumed(ev.NpsSubmitted.event_type, NPS))
    assert await table.dispatch(seen, consumed("bellwether.usage.recorded.v1", {"x": 1}))
    assert not await table.dispatch(seen, consumed("bellwether.other.v1", {}))
    assert isinstance(seen[0], ev.NpsSubmitted) and seen[0].score == 9
    assert seen[1] == {"x": 1}
    assert table.event_types == {ev.NpsSubmitted.event_type, "bellwether.usage.recorded.v1"}


async def test_a_payload_that_does_not_parse_is_a_validation_error_for_the_consumer_to_dead_letter() -> None:
    table: Handlers[None] = Handlers()

    @table.on(ev.NpsSubmitted)
    async def on_nps(_: None, e: ev.NpsSubmitted, c: Consumed) -> None:
        raise AssertionError("not reached")

    with pytest.raises(ValidationError, match="score"):
        await table.dispatch(None, consumed(ev.NpsSubmitted.event_type, NPS | {"score": 11}))


@given(st.floats(0, 1e7), st.floats(0, 1e7))
def test_discount_is_a_percentage_below_list_price(arr: float, list_price: float) -> None:
    pct = discount_pct(arr=arr, list_price=list_price)
    if list_price <= 0:
        assert pct is None
        return
    assert pct is not None and 0 <= pct <= 100
    if arr >= list_price:
        assert pct == 0
    if arr == 0:
        assert pct == 100


def test_discount_examples() -> None:
    assert discount_pct(arr=40_000, list_price=64_000) == 37.5
    assert discount_pct(arr=10, list_price=0) is None


def test_two_thirds_of_list_or_below_is_below_the_value_threshold() -> None:
    """domain.md: under two thirds of list churns more; the threshold itself counts (10,000 of 15,000)."""
    assert below_value_threshold(discount_pct(arr=10_000, list_price=15_000))
    assert below_value_threshold(discount_pct(arr=9_999, list_price=15_000))
    assert not below_value_threshold(discount_pct(arr=10_001, list_price=15_000))
    assert not below_value_threshold(None)


@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_the_threshold_matches_exact_arithmetic(arr: int, list_price: int) -> None:
    assert below_value_threshold(discount_pct(arr=arr, list_price=list_price)) == (3 * arr <= 2 * list_price)

"""Rate limiting, write-key extraction, and the event payloads against the shared contract."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from bellwether_shared.events import CATALOGUE
from bellwether_shared.http import ApiError
from ingest.auth import hash_key, new_write_key, write_key_from
from ingest.domain.normalise import Message, normalise
from ingest.domain.ratelimit import RateLimiter
from ingest.events import envelopes_for


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_allows_burst_then_asks_to_wait() -> None:
    clock = Clock()
    rl = RateLimiter(clock)
    assert rl.check("s", 100, rate=50, burst=100) == 0
    assert rl.check("s", 10, rate=50, burst=100) == 1  # 10 tokens at 50/s: 0.2 s, rounded up
    clock.t += 1.0
    assert rl.check("s", 50, rate=50, burst=100) == 0
    assert rl.check("other", 100, rate=50, burst=100) == 0  # buckets are per source
    assert rl.check("s", 500, rate=50, burst=100) == 2  # capped at burst: waits for a full bucket


def test_write_key_from_basic_bearer_or_body() -> None:
    basic = "Basic " + base64.b64encode(b"bwk_abc:").decode()
    assert write_key_from(basic, None) == "bwk_abc"
    assert write_key_from("Bearer bwk_def", None) == "bwk_def"
    assert write_key_from(None, {"writeKey": "bwk_ghi"}) == "bwk_ghi"
    assert write_key_from(None, {}) is None
    with pytest.raises(ApiError):
        write_key_from("Basic !!!", None)


def test_keys_are_random_and_only_hashes_compare() -> None:
    a, b = new_write_key(), new_write_key()
    assert a != b and len(a) > 40 and hash_key(a) != a and len(hash_key(a)) == 64


NOW = datetime(2026, 11, 20, tzinfo=UTC)
CALLS: list[dict[str, Any]] = [
    {
        "type": "track",
        "userId": "u",
        "event": "Report Exported",
        "properties": {"a": 1},
        "context": {"groupId": "acme"},
    },
    {"type": "track", "userId": "u", "event": "Account Added User", "context": {"groupId": "acme"}},
    {"type": "track", "userId": "u", "event": "Trial Started", "context": {"groupId": "acme"}},
    {"type": "track", "userId": "u", "event": "Account Removed User", "context": {"groupId": "acme"}},
    {"type": "page", "anonymousId": "a", "name": "Home"},
    {"type": "screen", "userId": "u"},
    {"type": "identify", "userId": "u", "traits": {"email": "x@y"}},
    {"type": "group", "userId": "u", "groupId": "acme", "traits": {"plan": "pro"}},
    {"type": "alias", "userId": "u", "previousId": "a"},
]


@pytest.mark.parametrize("raw", CALLS, ids=lambda c: f"{c['type']}-{c.get('event', '')}")
def test_published_payloads_conform_to_the_shared_contract(raw: dict[str, Any]) -> None:
    msg = normalise(raw, index=0, received_at=NOW, batch_sent_at=NOW)
    assert isinstance(msg, Message)
    envelopes = envelopes_for(msg, source_id="src_1", account_id="acme")
    assert envelopes
    for env in envelopes:
        model = CATALOGUE[env.type]
        event = model.model_validate(orjson.loads(env.data))
        assert env.topic == model.topic
        assert env.record_key == b"acme"
        assert event.model_dump()["message_id"] == msg.message_id
    assert len({e.id for e in envelopes}) == len(envelopes)  # one message, distinct event ids
    again = envelopes_for(msg, source_id="src_1", account_id="acme")
    assert [e.id for e in again] == [e.id for e in envelopes]  # a retry yields the same ids

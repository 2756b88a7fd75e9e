"""Driving the renewals consumer's handler directly, on a connection the test rolls back."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from bellwether_shared.roles import ApiKey
from renewals.handlers import make_handler
from renewals.settings import RenewalsSettings

NOW = datetime.now(UTC)
SETTINGS = RenewalsSettings(
    database_url="postgresql://x@localhost/x",
    kafka_bootstrap_servers="localhost:9092",
    api_keys=[ApiKey(actor="a", role="admin", token_sha256=hashlib.sha256(b"t").hexdigest())],
)  # type: ignore[call-arg]


def rec(event: Event, source: str = "bellwether/ingest") -> Consumed:
    env = event.envelope(event_id=str(uuid.uuid4()), source=source)
    return Consumed(env, 0, 0, orjson.loads(env.data))


def sig(account: str, **kw: Any) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex,
        "source_id": "s",
        "account_id": account,
        "received_at": NOW,
        "occurred_at": kw.pop("occurred_at", NOW),
        **kw,
    }


async def handle(conn: asyncpg.Connection, *records: Consumed) -> None:
    await make_handler(SETTINGS)(conn, list(records))

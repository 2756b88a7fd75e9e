"""From normalised messages to the events ingest publishes (the contract in bellwether_shared.events).

Payloads are built as plain dicts and serialised with orjson: on the hot path this is several
times cheaper than building pydantic models; the contract tests validate these exact payloads
against the shared models, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from bellwether_shared.envelope import Envelope, isoformat
from bellwether_shared.events import Event, derive_event_id
from bellwether_shared.events import ingest as ev
from ingest.identity import lifecycle_change, membership
from ingest.normalise import Message

SOURCE_PREFIX = "bellwether/ingest/"


def _ts(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def _envelope(
    cls: type[Event],
    payload: dict[str, Any],
    *,
    event_id: str,
    source_id: str,
    subject: str | None,
    key: str | None,
    time: datetime,
) -> Envelope:
    return Envelope(
        id=event_id,
        type=cls.event_type,
        source=SOURCE_PREFIX + source_id,
        topic=cls.topic,
        data=orjson.dumps(payload),
        subject=subject,
        key=key,
        time=time,
    )


def usage_event_id(source_id: str, message_id: str) -> str:
    return derive_event_id(source_id, message_id)


def envelopes_for(msg: Message, *, source_id: str, account_id: str | None) -> list[Envelope]:
    """The events one accepted message produces. Ids derive from (source, messageId): a retry of
    the same message yields the same ids, which is what consumers de-duplicate on."""
    base = {
        "message_id": msg.message_id,
        "source_id": source_id,
        "account_id": account_id,
        "received_at": isoformat(msg.received_at),
    }
    ident = msg.user_id or msg.anonymous_id
    key = account_id or ident
    eid = usage_event_id(source_id, msg.message_id)
    out: list[Envelope] = []
    common = {"user_id": msg.user_id, "anonymous_id": msg.anonymous_id, "timestamp": isoformat(msg.timestamp)}
    if msg.type in ("track", "page", "screen"):
        out.append(
            _envelope(
                ev.UsageRecorded,
                {
                    **base,
                    **common,
                    "kind": msg.type,
                    "event": msg.event,
                    "properties": msg.properties,
                    "context": msg.context,
                    "original_timestamp": _ts(msg.original_timestamp),
                    "sent_at": _ts(msg.sent_at),
                },
                event_id=eid,
                source_id=source_id,
                subject=account_id,
                key=key,
                time=msg.timestamp,
            )
        )
        eid = derive_event_id(source_id, msg.message_id, "identity")
    if msg.type == "identify":
        out.append(
            _envelope(
                ev.UserIdentified,
                {**base, **common, "traits": msg.traits},
                event_id=eid,
                source_id=source_id,
                subject=account_id,
                key=key,
                time=msg.timestamp,
            )
        )
    elif msg.type == "alias":
        out.append(
            _envelope(
                ev.UserAliased,
                {**base, **common, "previous_id": msg.previous_id},
                event_id=eid,
                source_id=source_id,
                subject=account_id,
                key=key,
                time=msg.timestamp,
            )
        )
    change = membership(msg)
    if change is not None:
        payload: dict[str, Any] = {**base, **common, "account_id": change.account_id}
        if change.joined:
            payload |= {"via": change.via, "traits": msg.traits if msg.type == "group" else {}}
            cls: type[Event] = ev.UserJoinedAccount
        else:
            cls = ev.UserLeftAccount
        out.append(
            _envelope(
                cls,
                payload,
                event_id=eid,
                source_id=source_id,
                subject=change.account_id,
                key=change.account_id,
                time=msg.timestamp,
            )
        )
    lifecycle = lifecycle_change(msg)
    if lifecycle is not None and account_id is not None:
        out.append(
            _envelope(
                ev.AccountLifecycleChanged,
                {
                    **base,
                    **common,
                    "change": lifecycle,
                    "properties": msg.properties,
                },
                event_id=derive_event_id(source_id, msg.message_id, "lifecycle"),
                source_id=source_id,
                subject=account_id,
                key=account_id,
                time=msg.timestamp,
            )
        )
    return out

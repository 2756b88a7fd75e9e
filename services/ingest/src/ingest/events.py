"""From normalised messages to the events ingest publishes (the contract in bellwether_shared.events).

Payloads are built as plain dicts and serialised with orjson: on the hot path this is several
times cheaper than building pydantic models; the contract tests validate these exact payloads
against the shared models, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson

from bellwether_shared.envelope import Envelope
from bellwether_shared.events import Event, derive_event_id
from bellwether_shared.events import ingest as ev
from ingest.domain.identity import Membership, lifecycle_change, membership
from ingest.domain.normalise import Message

SOURCE_PREFIX = "bellwether/ingest/"


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
        data=orjson.dumps(payload, option=orjson.OPT_UTC_Z),
        subject=subject,
        key=key,
        time=time,
    )


def usage_event_id(source_id: str, message_id: str) -> str:
    """A tracking call's event id (unchanged since the first release, so retries stay de-duplicated)."""
    return derive_event_id(source_id, message_id)


def signal_event_id(source_id: str, message_id: str) -> str:
    """A CS signal's event id: the kind of message is part of it, so a signal and a tracking call
    that happen to share a messageId are two events, not one dropped as the other's duplicate."""
    return derive_event_id(source_id, "signal", message_id)


def envelopes_for(
    msg: Message, *, source_id: str, account_id: str | None, change: Membership | Literal[False] | None = False
) -> list[Envelope]:
    """The events one accepted message produces. Ids derive from (source, messageId): a retry of
    the same message yields the same ids, which is what consumers de-duplicate on."""
    base: dict[str, Any] = {
        "message_id": msg.message_id,
        "source_id": source_id,
        "account_id": account_id,
        "received_at": msg.received_at,
        "user_id": msg.user_id,
        "anonymous_id": msg.anonymous_id,
        "timestamp": msg.timestamp,
    }
    key = account_id or msg.user_id or msg.anonymous_id
    out: list[Envelope] = []

    def emit(cls: type[Event], extra: dict[str, Any], event_id: str, subject: str | None = account_id) -> None:
        out.append(
            _envelope(
                cls,
                base | extra,
                event_id=event_id,
                source_id=source_id,
                subject=subject,
                key=subject or key,
                time=msg.timestamp,
            )
        )

    if msg.type in ("track", "page", "screen"):
        emit(
            ev.UsageRecorded,
            {
                "kind": msg.type,
                "event": msg.event,
                "properties": msg.properties,
                "context": msg.context,
                "original_timestamp": msg.original_timestamp,
                "sent_at": msg.sent_at,
                "timestamp_corrected": msg.timestamp_corrected,
            }
            | ({"plan_violations": msg.plan_violations} if msg.plan_violations else {}),
            usage_event_id(source_id, msg.message_id),
        )
        lifecycle = lifecycle_change(msg)
        if lifecycle is not None and account_id is not None:
            emit(
                ev.AccountLifecycleChanged,
                {"change": lifecycle, "properties": msg.properties},
                derive_event_id(source_id, msg.message_id, "lifecycle"),
            )
    elif msg.type == "identify":
        emit(ev.UserIdentified, {"traits": msg.traits}, derive_event_id(source_id, msg.message_id))
    elif msg.type == "alias":
        emit(ev.UserAliased, {"previous_id": msg.previous_id}, derive_event_id(source_id, msg.message_id))
    if change is False:  # not worked out by the caller
        change = membership(msg)
    if change is not None:
        event_id = derive_event_id(source_id, msg.message_id, *(("identity",) if msg.type == "track" else ()))
        if change.joined:
            traits = msg.traits if msg.type == "group" else {}
            emit(
                ev.UserJoinedAccount,
                {"account_id": change.account_id, "via": change.via, "traits": traits},
                event_id,
                change.account_id,
            )
        else:
            emit(ev.UserLeftAccount, {"account_id": change.account_id}, event_id, change.account_id)
    return out

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
from bellwether_shared.events import Event, derive_event_id, ingest as ev
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


Planned = tuple[type[Event], dict[str, Any], str, str | None]  # (event, its fields, event id, subject)


def _usage(msg: Message, source_id: str, account_id: str | None) -> list[Planned]:
    """A track, page or screen: the usage, and the account's lifecycle change it may announce."""
    extra = {
        "kind": msg.type,
        "event": msg.event,
        "properties": msg.properties,
        "context": msg.context,
        "original_timestamp": msg.original_timestamp,
        "sent_at": msg.sent_at,
        "timestamp_corrected": msg.timestamp_corrected,
    } | ({"plan_violations": msg.plan_violations} if msg.plan_violations else {})
    planned: list[Planned] = [(ev.UsageRecorded, extra, usage_event_id(source_id, msg.message_id), account_id)]
    lifecycle = lifecycle_change(msg)
    if lifecycle is not None and account_id is not None:
        lifecycle_id = derive_event_id(source_id, msg.message_id, "lifecycle")
        planned.append(
            (ev.AccountLifecycleChanged, {"change": lifecycle, "properties": msg.properties}, lifecycle_id, account_id)
        )
    return planned


def _membership(msg: Message, source_id: str, change: Membership) -> Planned:
    """A user joining or leaving an account, about that account."""
    event_id = derive_event_id(source_id, msg.message_id, *(("identity",) if msg.type == "track" else ()))
    if not change.joined:
        return ev.UserLeftAccount, {"account_id": change.account_id}, event_id, change.account_id
    traits = msg.traits if msg.type == "group" else {}
    extra = {"account_id": change.account_id, "via": change.via, "traits": traits}
    return ev.UserJoinedAccount, extra, event_id, change.account_id


def envelopes_for(
    msg: Message, *, source_id: str, account_id: str | None, change: Membership | Literal[False] | None = False
) -> list[Envelope]:
    """The events one accepted message produces. Ids derive from (source, messageId): a retry of
    the same message yields the same ids, which is what consumers de-duplicate on."""
    planned: list[Planned] = []
    if msg.type in ("track", "page", "screen"):
        planned += _usage(msg, source_id, account_id)
    elif msg.type == "identify":
        planned.append(
            (ev.UserIdentified, {"traits": msg.traits}, derive_event_id(source_id, msg.message_id), account_id)
        )
    elif msg.type == "alias":
        aliased = {"previous_id": msg.previous_id}
        planned.append((ev.UserAliased, aliased, derive_event_id(source_id, msg.message_id), account_id))
    if change is False:  # not worked out by the caller
        change = membership(msg)
    if change is not None:
        planned.append(_membership(msg, source_id, change))
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
    return [
        _envelope(
            cls,
            base | extra,
            event_id=eid,
            source_id=source_id,
            subject=subject,
            key=subject or key,
            time=msg.timestamp,
        )
        for cls, extra, eid, subject in planned
    ]

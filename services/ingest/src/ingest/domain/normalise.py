"""Validation and normalisation of standard tracking calls (pure: no I/O, no framework).

Wire format: the de-facto standard HTTP tracking API (track / identify / group / page / screen /
alias / batch), so existing client libraries work unchanged. Each message either normalises to a
:class:`Message` or is rejected with the field and the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bellwether_shared.inputguard import problems_in

TYPES = frozenset({"track", "identify", "group", "page", "screen", "alias"})
FUTURE_SKEW = timedelta(seconds=300)  # the default of FUTURE_SKEW_S
MAX_EVENT_BYTES = 32 * 1024  # the default of MAX_EVENT_BYTES (IngestSettings.max_event_bytes)
MAX_MESSAGE_ID = 100
MAX_ID = 255
MAX_EVENT_NAME = 255


@dataclass(slots=True)
class Rejection:
    index: int
    message_id: str | None
    field: str
    reason: str
    payload: Any = None
    code: str = "invalid_event"  # "missing_scope" / "account_not_allowed": a 403 for a single call


@dataclass(slots=True)
class Message:
    type: str
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    received_at: datetime
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    event: str | None = None
    group_id: str | None = None
    previous_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    integrations: dict[str, Any] = field(default_factory=dict)
    timestamp_corrected: bool = False  # its time lay in the future: set to when it was received
    plan_violations: list[dict[str, str]] = field(default_factory=list)  # tracking plan, observe mode

    @property
    def identity(self) -> str | None:
        return self.user_id or self.anonymous_id


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(name, "must be an ISO-8601 date-time string")
    try:
        ts = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Invalid(name, f"'{value[:40]}' is not an ISO-8601 date-time") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _identifier(raw: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise _Invalid(name, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):  # a tuple: a union is rebuilt per call
        raise _Invalid(name, "must be a string")
    text = str(value)
    if len(text) > MAX_ID:
        raise _Invalid(name, f"is longer than {MAX_ID} characters")
    return text


def _object(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(name, "must be a JSON object")
    return value


def _message_id(raw: dict[str, Any]) -> str:
    value = raw.get("messageId")
    if value is None or value == "":
        return str(uuid.uuid4())
    if not isinstance(value, str):
        raise _Invalid("messageId", "must be a string")
    if len(value) > MAX_MESSAGE_ID:
        raise _Invalid("messageId", f"is longer than {MAX_MESSAGE_ID} characters")
    return value


def unstorable(raw: Any) -> tuple[str, str] | None:
    """(field, reason) of the first value no consumer could store: a NUL character anywhere (64-bit
    overflow is caught by the serialisation before)."""
    return next(problems_in(raw), None)


def corrected_timestamp(*, received_at: datetime, original: datetime | None, sent_at: datetime | None) -> datetime:
    """Clock-skew correction: timestamp = receivedAt − (sentAt − originalTimestamp).

    The client's clock may be off; the interval between the event and the send is measured on that
    same clock, so subtracting it from the server's receive time cancels the skew. An interval no
    calendar can hold (sentAt 9999, timestamp 0001) is refused, naming the field.
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    try:
        return received_at - (sent_at - original)
    except OverflowError:
        raise _Invalid("sentAt", "is too far from timestamp to correct the clock skew") from None


def not_in_future(at: datetime, *, received_at: datetime, skew: timedelta) -> tuple[datetime, bool]:
    """(time to keep, corrected?): later than receipt plus ``skew`` becomes the receipt time."""
    return (received_at, True) if at > received_at + skew else (at, False)


def _check_size(raw: dict[str, Any], *, size_hint: int | None, max_event_bytes: int) -> None:
    """Serialisable, within the size limit, and nothing PostgreSQL cannot store (NUL characters)."""
    try:
        encoded = orjson.dumps(raw) if size_hint is None else b""
    except orjson.JSONEncodeError:
        raise _Invalid("", "event is not serialisable JSON") from None
    size = size_hint if size_hint is not None else len(encoded)
    if size > max_event_bytes:
        raise _Invalid("", f"event is {size} bytes; the limit is {max_event_bytes}")
    if (b"\\u0000" in encoded or size_hint is not None) and (bad := unstorable(raw)) is not None:
        raise _Invalid(*bad)


def _type_of(raw: dict[str, Any], default_type: str | None) -> str:
    msg_type = raw.get("type", default_type)
    if default_type and msg_type != default_type and raw.get("type") is not None:
        raise _Invalid("type", f"is '{msg_type}' but this endpoint takes '{default_type}'")
    if not isinstance(msg_type, str) or msg_type not in TYPES:
        raise _Invalid("type", "is required and must be one of " + ", ".join(sorted(TYPES)))
    return msg_type


def _merged(raw: dict[str, Any], name: str, batch: dict[str, Any] | None) -> dict[str, Any]:
    """The message's object (context, integrations) over the batch's."""
    own = _object(raw, name)
    return {**batch, **own} if batch else own


def _per_type(msg: Message, raw: dict[str, Any]) -> None:
    """What each call type requires or defaults: a track's event, a page's name, a group's id..."""
    if msg.type == "track":
        event = raw.get("event")
        if not isinstance(event, str) or not event.strip():
            raise _Invalid("event", "is required for track calls")
        if len(event) > MAX_EVENT_NAME:
            raise _Invalid("event", f"is longer than {MAX_EVENT_NAME} characters")
        msg.event = event
    elif msg.type in ("page", "screen"):
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise _Invalid("name", "must be a string")
        msg.event = name or ("Page Viewed" if msg.type == "page" else "Screen Viewed")
    elif msg.type == "group":
        msg.group_id = _identifier(raw, "groupId", required=True)
    elif msg.type == "alias":
        msg.previous_id = _identifier(raw, "previousId", required=True)
        if msg.user_id is None:
            raise _Invalid("userId", "is required for alias calls")
    if msg.type == "identify" and not msg.traits and isinstance(msg.context.get("traits"), dict):
        msg.traits = msg.context["traits"]


def normalise(
    raw: Any,
    *,
    index: int,
    received_at: datetime,
    default_type: str | None = None,
    batch_context: dict[str, Any] | None = None,
    batch_integrations: dict[str, Any] | None = None,
    batch_sent_at: datetime | None = None,
    size_hint: int | None = None,
    max_event_bytes: int = MAX_EVENT_BYTES,
    future_skew: timedelta = FUTURE_SKEW,
) -> Message | Rejection:
    """Validate one message; never raises."""
    if not isinstance(raw, dict):
        kept = raw if isinstance(raw, str | int | float | bool | list) else None
        return Rejection(index, None, "", "each event must be a JSON object", kept)
    mid = raw.get("messageId") if isinstance(raw.get("messageId"), str) else None
    try:
        _check_size(raw, size_hint=size_hint, max_event_bytes=max_event_bytes)
        msg_type = _type_of(raw, default_type)
        mid = _message_id(raw)
        user_id, anonymous_id = _identifier(raw, "userId"), _identifier(raw, "anonymousId")
        if user_id is None and anonymous_id is None:
            raise _Invalid("userId", "userId or anonymousId is required")
        sent_at = parse_time(raw.get("sentAt"), "sentAt") or batch_sent_at
        original = parse_time(raw.get("originalTimestamp"), "originalTimestamp") or parse_time(
            raw.get("timestamp"), "timestamp"
        )
        context = _merged(raw, "context", batch_context)
        integrations = _merged(raw, "integrations", batch_integrations)
        timestamp, corrected = not_in_future(
            corrected_timestamp(received_at=received_at, original=original, sent_at=sent_at),
            received_at=received_at,
            skew=future_skew,
        )
        msg = Message(
            type=msg_type,
            message_id=mid,
            user_id=user_id,
            anonymous_id=anonymous_id,
            timestamp=timestamp,
            timestamp_corrected=corrected,
            received_at=received_at,
            original_timestamp=original,
            sent_at=sent_at,
            properties=_object(raw, "properties"),
            traits=_object(raw, "traits"),
            context=context,
            integrations=integrations,
        )
        _per_type(msg, raw)
        return msg
    except _Invalid as exc:
        return Rejection(index, mid, exc.field, exc.reason, raw)


_TIME_FIELDS = ("timestamp", "received_at", "original_timestamp", "sent_at")


def message_to_dict(msg: Message) -> dict[str, Any]:
    """A JSON-safe form, for keeping unattributed messages until their account is known."""
    doc = {name: getattr(msg, name) for name in Message.__slots__}  # type: ignore[attr-defined]
    for name in _TIME_FIELDS:
        if doc[name] is not None:
            doc[name] = doc[name].isoformat()
    return doc


def message_from_dict(doc: dict[str, Any]) -> Message:
    values = dict(doc)
    for name in _TIME_FIELDS:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    return Message(**values)

"""CS signals (account upserts, NPS, tickets, contacts, onboarding, goals, feature requests, deals).

Validated strictly (unknown fields refused, each error names its field), published to signals.v1.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bellwether_shared.envelope import Envelope, utcnow
from bellwether_shared.inputguard import problems_in
from ingest import repository
from ingest.domain import scopes
from ingest.domain.normalise import Rejection
from ingest.domain.scopes import Grant
from ingest.events import SOURCE_PREFIX, signal_event_id
from ingest.intake import Intake, Limits, stored
from ingest.schemas import SIGNAL_ADAPTER, SIGNAL_INPUTS
from ingest.tracking import Outcome


def _rejection(index: int, raw: Any, exc: ValidationError) -> Rejection:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    if loc and isinstance(raw, dict) and loc[0] == raw.get("type"):
        loc = loc[1:]  # drop the union member's tag
    field = ".".join(loc) or "type"
    reason = err["msg"]
    if err["type"] == "union_tag_invalid":
        reason = "must be one of " + ", ".join(sorted(SIGNAL_INPUTS))
    elif err["type"] == "union_tag_not_found":
        reason = "is required (the signal type)"
    mid = raw.get("message_id") if isinstance(raw, dict) and isinstance(raw.get("message_id"), str) else None
    return Rejection(index, mid, field, reason, raw)


def _refusal(parsed: Any, grant: Grant, *, received_at: datetime, skew: timedelta) -> tuple[str, str, str] | None:
    """(code, field, reason) when this write key may not send this signal as it is."""
    if (missing := grant.missing(scopes.signal_scope(parsed.type))) is not None:
        return "missing_scope", "type", f"this write key lacks the scope '{missing}'"
    if not grant.may_write(parsed.account_id):
        return "account_not_allowed", "account_id", f"this write key may not write to account '{parsed.account_id}'"
    at = parsed.occurred_at
    if (
        at is not None
        and parsed.type not in scopes.LATEST_WINS_EXEMPT
        and scopes.in_future(at, received_at=received_at, skew=skew)
    ):
        return (
            "invalid_event",
            "occurred_at",
            (
                f"is {at.isoformat()}, more than {int(skew.total_seconds())} s after it was received: the latest "
                "signal wins, so a future one would hide every real one until then"
            ),
        )
    return None


def _message_id(raw: Any) -> str | None:
    return raw.get("message_id") if isinstance(raw, dict) and isinstance(raw.get("message_id"), str) else None


def _unknown_reason(parsed: Any, reasons: frozenset[str]) -> str | None:
    """Why a ticket's contact reason is refused: not in the company's taxonomy (CONTACT_REASONS)."""
    reason = getattr(parsed, "contact_reason", None) if parsed.type == "ticket.changed" else None
    if reason is None or reason in reasons:
        return None
    return f"'{reason}' is not one of the contact reasons: {', '.join(sorted(reasons))}"


def _checked(index: int, raw: Any, grant: Grant, *, received_at: datetime, limits: Limits) -> Rejection | Any:
    """The signal parsed and allowed, or the rejection that names its field and reason."""
    if isinstance(raw, Rejection):  # a webhook adapter could not map it: kept as it is
        return raw
    if (bad := next(problems_in(raw), None)) is not None:  # NUL characters, integers beyond 64 bits
        return Rejection(index, _message_id(raw), bad[0], bad[1], None)
    try:
        parsed = SIGNAL_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        return _rejection(index, raw, exc)
    if (refused := _refusal(parsed, grant, received_at=received_at, skew=limits.future_skew)) is not None:
        code, field, reason = refused
        return Rejection(index, _message_id(raw), field, reason, raw, code)
    if (unknown := _unknown_reason(parsed, limits.contact_reasons)) is not None:
        return Rejection(index, _message_id(raw), "contact_reason", unknown, raw)
    return parsed


def _envelope(parsed: Any, *, source_id: str, received_at: datetime) -> Envelope:
    """The signal as its shared event model, its id derived from the sender's message id (retries dedupe)."""
    data = parsed.model_dump(exclude={"type"})
    cls = SIGNAL_INPUTS[parsed.type][0]
    message_id = data.pop("message_id") or str(uuid.uuid4())
    occurred_at = data.pop("occurred_at") or received_at
    event = cls(**data, message_id=message_id, source_id=source_id, received_at=received_at, occurred_at=occurred_at)
    return event.envelope(
        event_id=signal_event_id(source_id, message_id), source=SOURCE_PREFIX + source_id, time=event.occurred_at
    )


async def accept_signals(
    intake: Intake, *, source_id: str, grant: Grant, request_id: str, items: Sequence[Any], endpoint: str = "signals"
) -> Outcome:
    """``items``: signals as sent; an item that is already a :class:`Rejection` (a webhook adapter could
    not map it) is kept in the rejected list as it is. Rejections are stored in the transaction that
    publishes the rest; raises ``Unavailable`` when nothing could be accepted."""
    received_at, outcome, envelopes = utcnow(), Outcome(), []
    for index, raw in enumerate(items):
        checked = _checked(index, raw, grant, received_at=received_at, limits=intake.limits)
        if isinstance(checked, Rejection):
            outcome.rejections.append(checked)
        else:
            envelopes.append(_envelope(checked, source_id=source_id, received_at=received_at))
    if not outcome.rejections:
        await intake.publish(envelopes)
    else:
        with stored():
            async with intake.pool.acquire() as conn, conn.transaction():
                await repository.insert_rejections(
                    conn,
                    source_id=source_id,
                    request_id=request_id,
                    endpoint=endpoint,
                    received_at=received_at,
                    rejections=outcome.rejections,
                )
                await intake.publish(envelopes)
    outcome.accepted = len(envelopes)
    return outcome

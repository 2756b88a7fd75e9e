"""Accepting tracking messages, the use case behind the tracking API and the destination endpoint.

accept_messages() is the heart: normalise → resolve accounts → (state changes, parking,
rejections in one transaction) → publish with acks=all → commit → answer. Kafka not
acknowledging in time rolls the transaction back and raises ``Unavailable``: nothing is half-accepted.
Re-attributed events (parked until their account became known) leave through the outbox. It sees no
HTTP: it works on an ``Intake`` and raises domain errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opentelemetry import metrics

from bellwether_shared.envelope import Envelope, utcnow
from bellwether_shared.uow import UnitOfWork
from ingest import plan_repository, repository
from ingest.deletion import suppressed
from ingest.domain import scopes
from ingest.domain.identity import Membership, Resolver, explicit_account
from ingest.domain.normalise import Message, Rejection, normalise
from ingest.domain.scopes import Grant
from ingest.domain.tracking_plan import TrackingPlan
from ingest.events import envelopes_for, usage_event_id
from ingest.intake import Intake, Limits, stored

_meter = metrics.get_meter(__name__)
_accepted = _meter.create_counter("bellwether_ingest_events_accepted", description="events accepted")
_rejected = _meter.create_counter("bellwether_ingest_events_rejected", description="events rejected")
_parked = _meter.create_counter("bellwether_ingest_events_unattributed", description="events parked without account")


def count_from_zero() -> None:
    """Export the counters without per-source labels from the start (rate() then sees a zero)."""
    _parked.add(0)


@dataclass
class Outcome:
    accepted: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    unattributed: int = 0
    suppressed: int = 0  # events of suppressed users, dropped (deletion requests)
    violations: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (event, kind, field, …)


def _planned(
    plan: TrackingPlan | None, index: int, msg: Message, raw: Any, seen: list[tuple[str, str, str, str, str]]
) -> Rejection | None:
    """Checks a track call against the source's tracking plan: violations are counted (``seen``);
    observe mode annotates the message, enforce mode answers with its rejection."""
    if plan is None or msg.type != "track" or not (found := plan.check(msg.event or "", msg.properties)):
        return None
    seen.extend((msg.event or "", v.kind, v.field, v.reason, msg.message_id) for v in found)
    if plan.mode == "observe":
        msg.plan_violations = [v.as_dict() for v in found]
        return None
    more = f" (and {len(found) - 1} more: {', '.join(sorted({v.kind for v in found[1:]}))})" if len(found) > 1 else ""
    return Rejection(index, msg.message_id, found[0].field, found[0].reason + more, raw, "plan_violation")


async def _known_accounts(intake: Intake, messages: Sequence[Message]) -> dict[str, str]:
    """The accounts of the messages' identities, from the cache, else the database (then cached)."""
    wanted: set[str] = set()
    for m in messages:
        if explicit_account(m) is None:
            wanted.update(i for i in (m.user_id, m.anonymous_id, m.previous_id) if i)
    known = {i: a for i in wanted if (a := intake.identities.get(i)) is not None}
    missing = sorted(wanted - known.keys())
    if missing:
        async with intake.pool.acquire() as conn:
            found = await repository.accounts_of(conn, identities=missing)
        for ident, account in found.items():
            intake.identities.put(ident, account)
        known |= found
    return known


def _not_allowed(index: int, msg: Message, account: str | None) -> Rejection:
    reason = (
        f"this write key may not write to account '{account}'"
        if account
        else "this write key may write only to its accounts; the event names none (context.groupId)"
    )
    return Rejection(index, msg.message_id, "context.groupId", reason, None, "account_not_allowed")


@dataclass(frozen=True, slots=True)
class Batch:
    """One request's messages as sent, and what came with them (a batch's shared context)."""

    items: Sequence[Any]
    default_type: str | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    sent_at: datetime | None = None


@dataclass
class Routed:
    """The accepted messages and where each goes: published now, or parked until its account is known."""

    messages: list[Message] = field(default_factory=list)
    direct: list[Envelope] = field(default_factory=list)
    parked: list[tuple[str, str, str, Message]] = field(default_factory=list)
    changes: list[Membership] = field(default_factory=list)


def _screen(
    batch: Batch, *, grant: Grant, plan: TrackingPlan | None, limits: Limits, received_at: datetime, outcome: Outcome
) -> list[tuple[int, Message]]:
    """Normalise every message; those malformed, out of the key's scopes or refused by the plan are
    rejections, the rest go on (with their index in the request)."""
    kept: list[tuple[int, Message]] = []
    for index, raw in enumerate(batch.items):
        result = normalise(
            raw,
            index=index,
            received_at=received_at,
            default_type=batch.default_type,
            batch_context=batch.context,
            batch_integrations=batch.integrations,
            batch_sent_at=batch.sent_at,
            max_event_bytes=limits.max_event_bytes,
            future_skew=limits.future_skew,
        )
        if isinstance(result, Rejection):
            outcome.rejections.append(result)
        elif (missing := grant.missing(scopes.CALLS[result.type])) is not None:
            reason = f"this write key lacks the scope '{missing}'"
            outcome.rejections.append(Rejection(index, result.message_id, "type", reason, raw, "missing_scope"))
        elif (refused := _planned(plan, index, result, raw, outcome.violations)) is not None:
            outcome.rejections.append(refused)
        else:
            kept.append((index, result))
    return kept


def _route(
    indexed: Sequence[tuple[int, Message]], resolver: Resolver, *, grant: Grant, source_id: str, outcome: Outcome
) -> Routed:
    """Attribute each message to its account; usage of an unknown one is parked, the rest published."""
    routed = Routed()
    for index, msg in indexed:
        account, change = resolver.resolve(msg)
        if not grant.may_write(account):
            outcome.rejections.append(_not_allowed(index, msg, account))
            continue
        routed.messages.append(msg)
        if change is not None:
            routed.changes.append(change)
        elif msg.type == "alias" and account is not None and msg.user_id:
            routed.changes.append(Membership(msg.user_id, account, True, "group"))
        if account is None and msg.type in ("track", "page", "screen"):
            routed.parked.append((usage_event_id(source_id, msg.message_id), msg.identity or "", source_id, msg))
        else:
            routed.direct.extend(envelopes_for(msg, source_id=source_id, account_id=account, change=change))
    return routed


async def accept_messages(
    intake: Intake,
    *,
    source_id: str,
    grant: Grant,
    endpoint: str,
    request_id: str,
    batch: Batch,
    plan: TrackingPlan | None = None,
) -> Outcome:
    """normalise → resolve accounts → (state changes, parking, rejections in one transaction) → publish
    with acks=all → commit → answer. Raises ``Unavailable`` when nothing could be accepted."""
    received_at, outcome = utcnow(), Outcome()
    indexed = _screen(batch, grant=grant, plan=plan, limits=intake.limits, received_at=received_at, outcome=outcome)
    if dropped := suppressed((m for _, m in indexed), await intake.suppressions.current()):
        indexed = [(i, m) for i, m in indexed if m.message_id not in dropped]
        outcome.suppressed = len(dropped)
    resolver = Resolver(await _known_accounts(intake, [m for _, m in indexed]))
    routed = _route(indexed, resolver, grant=grant, source_id=source_id, outcome=outcome)
    outcome.rejections.sort(key=lambda r: r.index)
    where = Where(source_id, request_id, endpoint, received_at)
    await _commit(intake, routed, outcome, where)
    for change in routed.changes:
        if change.joined:
            intake.identities.put(change.user_id, change.account_id)
        else:
            intake.identities.drop(change.user_id)
    outcome.accepted = len(routed.messages)
    labels = {"endpoint": endpoint, "source": source_id}  # per source: the rejection-spike alert's unit
    _accepted.add(outcome.accepted, labels)
    if outcome.rejections:
        _rejected.add(len(outcome.rejections), labels)
    return outcome


@dataclass(frozen=True, slots=True)
class Where:
    """Where a request came from, as its rejections record it."""

    source_id: str
    request_id: str
    endpoint: str
    received_at: datetime


async def _commit(intake: Intake, routed: Routed, outcome: Outcome, where: Where) -> None:
    """Publish; with state to keep (identity, parking, rejections, plan violations), inside the transaction
    that keeps it, so Kafka not acknowledging rolls it back."""
    if not (routed.changes or routed.parked or outcome.rejections or outcome.violations):
        await intake.publish(routed.direct)
        return
    with stored():
        async with intake.pool.acquire() as conn, conn.transaction(), repository.unit(conn) as uow:
            late, outcome.unattributed = await _apply_identity(uow, routed.changes, routed.parked)
            await repository.insert_rejections(
                conn,
                source_id=where.source_id,
                request_id=where.request_id,
                endpoint=where.endpoint,
                received_at=where.received_at,
                rejections=outcome.rejections,
            )
            await plan_repository.count_violations(
                conn, source_id=where.source_id, at=where.received_at, seen=outcome.violations
            )
            await intake.publish([*routed.direct, *late])


async def _apply_identity(
    uow: UnitOfWork, changes: Sequence[Membership], parked: list[tuple[str, str, str, Message]]
) -> tuple[list[Envelope], int]:
    """Membership changes and parking, serialised per identity. Returns parked events that turned
    out to be attributable after all (a mapping committed concurrently); re-attributed backlog
    leaves through the unit of work (outbox), ids derived from each message as on the direct path."""
    conn = uow.conn
    await repository.lock_identities(conn, identities=[c.user_id for c in changes] + [p[1] for p in parked])
    joined: dict[str, str] = {}
    for c in changes:
        if c.joined:
            await repository.join_account(conn, user_id=c.user_id, account_id=c.account_id, at=utcnow())
            joined[c.user_id] = c.account_id
        else:
            await repository.leave_account(conn, user_id=c.user_id, account_id=c.account_id)
            joined.pop(c.user_id, None)
    if joined:
        backlog = await repository.take_unattributed(conn, identities=list(joined))
        envelopes = [
            env
            for src, msg in backlog
            for env in envelopes_for(msg, source_id=src, account_id=joined[msg.identity or ""])
        ]
        uow.emit_envelopes(envelopes)
    now_known = await repository.accounts_of(conn, identities={p[1] for p in parked}) if parked else {}
    late: list[Envelope] = []
    still: list[tuple[str, str, str, Message]] = []
    for item in parked:
        account = now_known.get(item[1])
        if account is None:
            still.append(item)
        else:
            late.extend(envelopes_for(item[3], source_id=item[2], account_id=account))
    await repository.park_unattributed(conn, items=still)
    if still:
        _parked.add(len(still))
    return late, len(still)

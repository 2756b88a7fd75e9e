"""Ingest's handlers: plain async functions between the HTTP routes and Kafka / PostgreSQL.

accept_messages() is the heart: normalise → resolve accounts → (state changes, parking,
rejections in one transaction) → publish with acks=all → commit → answer. Kafka not
acknowledging in time rolls the transaction back and becomes a 503: nothing is half-accepted.
Re-attributed events (parked until their account became known) leave through the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError
from opentelemetry import metrics

from bellwether_shared.envelope import Envelope, utcnow
from bellwether_shared.http import ApiError
from bellwether_shared.kafka import PublishTimeout, publish
from bellwether_shared.uow import UnitOfWork
from ingest import plan_repository, repository, scopes
from ingest.deletion import suppressed
from ingest.deps import Runtime
from ingest.events import envelopes_for, usage_event_id
from ingest.identity import Membership, Resolver, explicit_account
from ingest.normalise import Message, Rejection, normalise
from ingest.scopes import Grant
from ingest.tracking_plan import TrackingPlan

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


def unavailable(rt: Runtime, why: str) -> ApiError:
    return ApiError(
        503, "unavailable", f"{why}; retry later", headers={"Retry-After": str(rt.settings.unavailable_retry_after_s)}
    )


async def _known_accounts(rt: Runtime, messages: Sequence[Message]) -> dict[str, str]:
    wanted: set[str] = set()
    for m in messages:
        if explicit_account(m) is None:
            wanted.update(i for i in (m.user_id, m.anonymous_id, m.previous_id) if i)
    if not wanted:
        return {}
    known: dict[str, str] = {}
    missing = []
    for ident in wanted:
        account = rt.identities.get(ident)
        if account is None:
            missing.append(ident)
        else:
            known[ident] = account
    if missing:
        async with rt.pool.acquire() as conn:
            found = await repository.accounts_of(conn, identities=missing)
        for ident, account in found.items():
            rt.identities.put(ident, account)
        known |= found
    return known


def _not_allowed(index: int, msg: Message, account: str | None) -> Rejection:
    reason = (
        f"this write key may not write to account '{account}'"
        if account
        else "this write key may write only to its accounts; the event names none (context.groupId)"
    )
    return Rejection(index, msg.message_id, "context.groupId", reason, None, "account_not_allowed")


async def accept_messages(
    rt: Runtime,
    *,
    source_id: str,
    grant: Grant,
    endpoint: str,
    request_id: str,
    items: Sequence[Any],
    default_type: str | None = None,
    batch_context: dict[str, Any] | None = None,
    batch_integrations: dict[str, Any] | None = None,
    batch_sent_at: datetime | None = None,
    plan: TrackingPlan | None = None,
) -> Outcome:
    received_at = utcnow()
    outcome = Outcome()
    indexed: list[tuple[int, Message]] = []
    for index, raw in enumerate(items):
        result = normalise(
            raw,
            index=index,
            received_at=received_at,
            default_type=default_type,
            batch_context=batch_context,
            batch_integrations=batch_integrations,
            batch_sent_at=batch_sent_at,
            max_event_bytes=rt.settings.max_event_bytes,
            future_skew=timedelta(seconds=rt.settings.future_skew_s),
        )
        if isinstance(result, Rejection):
            outcome.rejections.append(result)
        elif (missing := grant.missing(scopes.CALLS[result.type])) is not None:
            reason = f"this write key lacks the scope '{missing}'"
            outcome.rejections.append(Rejection(index, result.message_id, "type", reason, raw, "missing_scope"))
        elif (refused := _planned(plan, index, result, raw, outcome.violations)) is not None:
            outcome.rejections.append(refused)
        else:
            indexed.append((index, result))

    if dropped := suppressed((m for _, m in indexed), await rt.suppressions.current()):
        indexed = [(i, m) for i, m in indexed if m.message_id not in dropped]
        outcome.suppressed = len(dropped)
    resolver = Resolver(await _known_accounts(rt, [m for _, m in indexed]))
    messages: list[Message] = []
    direct: list[Envelope] = []
    parked: list[tuple[str, str, str, Message]] = []
    changes: list[Membership] = []
    for index, msg in indexed:
        account, change = resolver.resolve(msg)
        if not grant.may_write(account):
            outcome.rejections.append(_not_allowed(index, msg, account))
            continue
        messages.append(msg)
        if change is not None:
            changes.append(change)
        elif msg.type == "alias" and account is not None and msg.user_id:
            changes.append(Membership(msg.user_id, account, True, "group"))
        if account is None and msg.type in ("track", "page", "screen"):
            parked.append((usage_event_id(source_id, msg.message_id), msg.identity or "", source_id, msg))
        else:
            direct.extend(envelopes_for(msg, source_id=source_id, account_id=account, change=change))

    outcome.rejections.sort(key=lambda r: r.index)
    needs_db = bool(changes or parked or outcome.rejections or outcome.violations)
    try:
        if not needs_db:
            await publish(rt.producer, direct, timeout_s=rt.settings.publish_timeout_s)
        else:
            async with rt.pool.acquire() as conn, conn.transaction(), repository.unit(conn) as uow:
                late, outcome.unattributed = await _apply_identity(uow, changes, parked)
                direct.extend(late)
                await repository.insert_rejections(
                    conn,
                    source_id=source_id,
                    request_id=request_id,
                    endpoint=endpoint,
                    received_at=received_at,
                    rejections=outcome.rejections,
                )
                await plan_repository.count_violations(
                    conn, source_id=source_id, at=received_at, seen=outcome.violations
                )
                await publish(rt.producer, direct, timeout_s=rt.settings.publish_timeout_s)
    except (PublishTimeout, KafkaError) as exc:
        raise unavailable(rt, f"event stream unavailable ({type(exc).__name__})") from exc
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        raise unavailable(rt, "database unavailable") from exc

    for change in changes:
        if change.joined:
            rt.identities.put(change.user_id, change.account_id)
        else:
            rt.identities.drop(change.user_id)
    outcome.accepted = len(messages)
    labels = {"endpoint": endpoint, "source": source_id}  # per source: the rejection-spike alert's unit
    _accepted.add(outcome.accepted, labels)
    if outcome.rejections:
        _rejected.add(len(outcome.rejections), labels)
    return outcome


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

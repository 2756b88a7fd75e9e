"""Kafka handlers: every event of signals.v1, health.v1, renewals.v1 and notifications.v1 → the account's
projection (what it is now) and its timeline (what happened). One plain async function per event
type in the ``handlers`` table, on the shared typed models; the timeline rows of a batch go in one
statement at its end, inside the consumer loop's transaction (with the inbox claim)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from accounts import alert_repository, renewal_repository, repository, timeline
from bellwether_shared import privacy_repository
from bellwether_shared.dispatch import Handlers
from bellwether_shared.events import health as hev, ingest as iev, notifications as nev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed

TimelineRow = tuple[str, datetime, str, str, str, str, Any]


@dataclass
class Batch:
    conn: asyncpg.Connection
    rows: list[TimelineRow] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


handlers: Handlers[Batch] = Handlers()


def make_handler() -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        b = Batch(conn)
        for c in batch:
            await handlers.dispatch(b, c)
        await repository.add_timeline(conn, rows=b.rows)

    return handle


Project = Callable[[asyncpg.Connection, Any, datetime, Consumed], Awaitable[None]]


def _typed(fn: Callable[..., Awaitable[Any]]) -> Project:
    """A projection that reads the typed event (``e=``)."""

    async def project(conn: asyncpg.Connection, e: Event, at: datetime, c: Consumed) -> None:
        await fn(conn, e=e, at=at)

    return project


async def _nps(conn: asyncpg.Connection, e: iev.NpsSubmitted, at: datetime, c: Consumed) -> None:
    await repository.add_nps(conn, e=e, at=at, event_id=c.envelope.id)


async def _health(conn: asyncpg.Connection, e: hev.HealthScoreChanged, at: datetime, c: Consumed) -> None:
    await repository.set_health(
        conn,
        account_id=e.account_id,
        value=e.new_value,
        colour=e.new_colour,
        reasons=[r.model_dump(mode="json") for r in e.reasons],
        at=e.computed_at,
        adoption=e.adoption,
    )


async def _coverage(conn: asyncpg.Connection, e: hev.ChampionCoverageChanged, at: datetime, c: Consumed) -> None:
    await repository.set_coverage(conn, account_id=e.account_id, healthy=e.healthy_influential, target=e.target)


async def _renewal(conn: asyncpg.Connection, e: rev.RenewalsEvent, at: datetime, c: Consumed) -> None:
    """What the event says about an opportunity (each says part of it)."""
    facts = renewal_repository.facts_of(e)
    if facts is not None:
        await renewal_repository.upsert_renewal(conn, f=facts, at=at)


async def _owner(conn: asyncpg.Connection, e: rev.OwnershipChanged, at: datetime, c: Consumed) -> None:
    if e.opportunity_id is None:  # the account's owner in a role
        await repository.set_owner(conn, account_id=e.account_id, role=e.role, owner_id=e.new_owner_id)
    else:
        await _renewal(conn, e, at, c)


async def _review_touch(conn: asyncpg.Connection, e: iev.ValueReviewRecorded, at: datetime, c: Consumed) -> None:
    await repository.upsert_touch(conn, e=e.as_touch(), at=at)


async def _nothing(conn: asyncpg.Connection, e: Event, at: datetime, c: Consumed) -> None:
    """Timeline only (the event says what happened; the state it changed lives in its owner)."""


PROJECT: dict[type[Event], Project] = {
    iev.AccountUpserted: _typed(repository.upsert_account),
    iev.ContactChanged: _typed(repository.upsert_contact),
    iev.NpsSubmitted: _nps,
    iev.TicketChanged: _typed(repository.upsert_ticket),
    iev.GoalUpdated: _typed(repository.upsert_goal),
    iev.ProblemRecorded: _typed(repository.upsert_problem),
    iev.FeatureRequestStatusChanged: _typed(repository.upsert_request),
    iev.OnboardingConfirmed: _typed(repository.add_onboarding),
    iev.ValueReviewRecorded: _review_touch,  # a value review is the promised value-review touch
    iev.TouchRecorded: _typed(repository.upsert_touch),
    iev.DealClosedWon: _nothing,
    iev.DealClosedWonV2: _nothing,
    hev.HealthScoreChanged: _health,
    hev.HealthColourChanged: _nothing,  # the score change that comes with it carries the same state
    hev.MilestoneAchieved: _typed(repository.set_milestone),
    hev.MilestoneMissed: _typed(repository.set_milestone),
    hev.ContactAssessed: _typed(repository.assess_contact),
    hev.ChampionAtRisk: _nothing,
    hev.ChampionCoverageChanged: _coverage,
    hev.GoalProgressChanged: _typed(repository.set_goal_progress),
    hev.ExpansionReady: _nothing,
    hev.ValueLadderChanged: _typed(repository.set_value),  # the opportunity it opens arrives from renewals
    rev.OpportunityCreated: _renewal,
    rev.RenewalUpcoming: _renewal,
    rev.RenewalRiskChanged: _renewal,
    rev.RenewalRiskAssessed: _renewal,
    rev.RenewalRiskEscalated: _nothing,
    rev.TouchOverdue: _nothing,  # the account view works out what is due from the touches themselves
    rev.RequestShipped: _nothing,
    rev.RenewalClosed: _renewal,
    rev.ContractChanged: _typed(renewal_repository.upsert_contract),
    rev.OwnershipChanged: _owner,
    rev.HandoffReviewOpened: _nothing,
    rev.HandoffReviewScored: _nothing,
    rev.DealAccepted: _nothing,
    rev.DealRejectionProposed: _nothing,
    rev.DealRejected: _typed(renewal_repository.deal_rejected),
    rev.DealRejectionDeclined: _nothing,
    nev.AlertRaised: _typed(alert_repository.add_alert),
    nev.TaskOpened: _typed(alert_repository.upsert_task),
    nev.TaskClosed: _typed(alert_repository.upsert_task),
    hev.OnboardingOverdue: _nothing,
}


@handlers.on(*PROJECT)
async def on_event(b: Batch, e: Event, c: Consumed) -> None:
    """Project what the event says about its account, and put it on the account's timeline."""
    p = e.model_dump(mode="json")
    account = p.get("account_id")
    if not account:
        return
    if account not in b.seen:
        await repository.ensure_accounts(b.conn, account_ids=[account])
        b.seen.add(account)
    at = c.envelope.time
    await PROJECT[type(e)](b.conn, e, at, c)
    entry = timeline.describe(type(e), p)
    if entry is not None:
        b.rows.append((account, at, entry.kind, c.envelope.type, c.envelope.id, entry.title, _detail(p)))


_DETAIL_SKIP = {"message_id", "source_id", "received_at", "account_id"}


def _detail(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k not in _DETAIL_SKIP}


@handlers.on(iev.UserDeleted)
async def on_user_deleted(b: Batch, e: iev.UserDeleted, c: Consumed) -> None:
    """A deletion request: every row that names the person or their contacts goes."""
    await privacy_repository.forget_person(b.conn, user_id=e.user_id, contact_ids=e.contact_ids)

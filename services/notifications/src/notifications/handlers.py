"""Kafka handlers: health, signals and renewals events → the account projection (one handler per
event type in the ``handlers`` table, on the shared typed models), then the alert rules. Alerts,
their outcomes and the deliveries they queue commit with the inbox claim (one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from bellwether_shared import privacy_repository
from bellwether_shared.dispatch import Handlers
from bellwether_shared.envelope import utcnow
from bellwether_shared.events import health as hev, ingest as iev, renewals as rev
from bellwether_shared.records import Consumed
from bellwether_shared.tiers import Tiers
from notifications import alerting, crm_repository, repository, tasks
from notifications.domain import crm
from notifications.domain.incidents import IncidentPolicy


@dataclass
class Batch:
    conn: asyncpg.Connection
    now: datetime
    crm_changed: set[str] = field(default_factory=set)  # accounts whose CRM record changes: one write queued each


handlers: Handlers[Batch] = Handlers()


def make_handler(
    max_age: timedelta, policy: IncidentPolicy | None = None, tiers: Tiers | None = None
) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    """Events older than ``max_age`` (by their ``ce_time``) still update the projection but alert nobody:
    a new deployment reading the topics from the start, or a consumer back from a long outage, must not
    page people about last month."""

    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        b = Batch(conn, utcnow())
        wanted = await repository.rule_event_types(conn)
        async with repository.unit(conn, now=b.now) as uow:
            for c in batch:
                if not isinstance(c.payload, dict):
                    continue
                await handlers.dispatch(b, c)
                # Rules are configured per event type over its fields by path, for any event type (also
                # ones this service has no model of): they read the decoded JSON.
                if c.envelope.type in wanted and b.now - c.envelope.time <= max_age:
                    await alerting.on_event(
                        uow,
                        event_id=c.envelope.id,
                        event_type=c.envelope.type,
                        p=c.payload,
                        now=b.now,
                        open_task=tasks.open_from_rule,
                        policy=policy,
                        tiers=tiers,
                    )
            await crm_repository.mark(b.conn, account_ids=sorted(b.crm_changed), now=b.now)

    return handle


@handlers.on(iev.AccountUpserted)
async def on_account(b: Batch, e: iev.AccountUpserted, c: Consumed) -> None:
    await repository.upsert_account(b.conn, e=e, at=e.occurred_at)
    if e.crm_ids and await crm_repository.set_records(
        b.conn, account_id=e.account_id, ids={str(k): v for k, v in e.crm_ids.items()}
    ):
        b.crm_changed.add(e.account_id)


@handlers.on(hev.HealthScoreChanged)
async def on_score(b: Batch, e: hev.HealthScoreChanged, c: Consumed) -> None:
    trend = crm.trend(delta=e.delta, baseline=e.baseline)
    await repository.set_health(
        b.conn, account_id=e.account_id, colour=e.new_colour, score=e.new_value, trend=trend, sufficient=e.sufficient
    )
    b.crm_changed.add(e.account_id)


@handlers.on(hev.HealthColourChanged)
async def on_colour(b: Batch, e: hev.HealthColourChanged, c: Consumed) -> None:
    await repository.set_health(b.conn, account_id=e.account_id, colour=e.new_colour, score=e.value)
    b.crm_changed.add(e.account_id)


@handlers.on(rev.RenewalRiskChanged)
async def on_risk(b: Batch, e: rev.RenewalRiskChanged, c: Consumed) -> None:
    await _risk(b, e.account_id, e.level, e.reasons, c)


@handlers.on(rev.RenewalRiskAssessed)
async def on_risk_assessed(b: Batch, e: rev.RenewalRiskAssessed, c: Consumed) -> None:
    await _risk(b, e.account_id, e.level, e.reasons, c)


async def _risk(b: Batch, account_id: str, level: str, reasons: list[rev.RiskReason], c: Consumed) -> None:
    """The renewal risk the CRM shows (the latest assessment by its time)."""
    found = [(r.points, r.text) for r in reasons]
    await repository.set_risk(b.conn, account_id=account_id, level=level, reasons=found, at=c.envelope.time)
    b.crm_changed.add(account_id)


@handlers.on(rev.OwnershipChanged)
async def on_owner(b: Batch, e: rev.OwnershipChanged, c: Consumed) -> None:
    if e.opportunity_id is None:  # the account's owner in a role (an opportunity's owner is not routing)
        await repository.set_owner(b.conn, account_id=e.account_id, role=e.role, owner_id=e.new_owner_id)


@handlers.on(rev.OpportunityCreated)
async def on_opportunity(b: Batch, e: rev.OpportunityCreated, c: Consumed) -> None:
    if e.kind == "renewal" and e.renewal_date is not None:
        await repository.set_renewal_date(b.conn, account_id=e.account_id, renewal_date=e.renewal_date)


@handlers.on(rev.RenewalUpcoming)
async def on_upcoming(b: Batch, e: rev.RenewalUpcoming, c: Consumed) -> None:
    await repository.set_renewal_date(b.conn, account_id=e.account_id, renewal_date=e.renewal_date)


@handlers.on(iev.UserDeleted)
async def on_user_deleted(b: Batch, e: iev.UserDeleted, c: Consumed) -> None:
    """A deletion request: every row that names the person or their contacts goes."""
    await privacy_repository.forget_person(b.conn, user_id=e.user_id, contact_ids=e.contact_ids)

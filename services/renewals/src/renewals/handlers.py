"""Kafka handlers: signals and health → the renewals projection, contracts and reviews; then the
risk of the touched accounts' open renewals is re-assessed in the same unit of work, so a health
colour change and the renewal-at-risk event it causes commit together (inbox + state + outbox).

One plain async function per event type in the ``handlers`` table; each gets the batch and the
payload parsed into its shared event model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from bellwether_shared import privacy_repository
from bellwether_shared.dispatch import Handlers
from bellwether_shared.events import health as hev, ingest as ev
from bellwether_shared.records import Consumed
from bellwether_shared.uow import UnitOfWork
from renewals import (
    handoff,
    opportunities,
    ownership,
    repository,
    request_repository as requests,
    shipped,
    touch_repository,
)
from renewals.reassess import reassess
from renewals.repository import HealthRow
from renewals.settings import RenewalsSettings

SYNC_ACTOR = "sync:signals"
SIGNALS_ACTOR = "sync:health"


@dataclass
class Batch:
    uow: UnitOfWork
    settings: RenewalsSettings
    touched: set[str] = field(default_factory=set)
    health: list[HealthRow] = field(default_factory=list)  # applied in bulk after the others


handlers: Handlers[Batch] = Handlers()


def make_handler(settings: RenewalsSettings) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        async with repository.unit(conn) as uow:
            b = Batch(uow, settings)
            for c in batch:
                await handlers.dispatch(b, c)
            # health changes, the most frequent input, in bulk (latest wins, history is a set: their
            # order relative to the other events does not matter)
            await repository.apply_health_many(conn, rows=b.health)
            if b.touched:
                await reassess(uow, account_ids=sorted(b.touched), horizon=settings.horizon())

    return handle


@handlers.on(hev.HealthScoreChanged)
async def on_score(b: Batch, e: hev.HealthScoreChanged, c: Consumed) -> None:
    reasons = [r.model_dump() for r in e.reasons]
    b.health.append(
        (
            e.account_id,
            e.new_value,
            e.new_colour,
            reasons,
            e.computed_at,
            e.scorecard_id,
            e.scorecard_version,
            e.usage_data,
        )
    )
    b.touched.add(e.account_id)


@handlers.on(hev.HealthColourChanged)
async def on_colour(b: Batch, e: hev.HealthColourChanged, c: Consumed) -> None:
    reasons = [r.model_dump() for r in e.reasons]
    b.health.append((e.account_id, e.value, e.new_colour, reasons, e.computed_at, None, None, e.usage_data))
    b.touched.add(e.account_id)


@handlers.on(hev.ChampionCoverageChanged)
async def on_coverage(b: Batch, e: hev.ChampionCoverageChanged, c: Consumed) -> None:
    await repository.set_champion_coverage(
        b.uow.conn, account_id=e.account_id, healthy=e.healthy_influential, target=e.target
    )
    b.touched.add(e.account_id)


@handlers.on(hev.ExpansionReady)
async def on_expansion_ready(b: Batch, e: hev.ExpansionReady, c: Consumed) -> None:
    await opportunities.open_ready_expansion(
        b.uow, account_id=e.account_id, growth_type=e.growth_type, reasons=e.reasons, actor=SIGNALS_ACTOR
    )


@handlers.on(hev.MilestoneMissed)
async def on_milestone_missed(b: Batch, e: hev.MilestoneMissed, c: Consumed) -> None:
    await repository.add_missed_milestone(b.uow.conn, e=e)
    b.touched.add(e.account_id)


@handlers.on(ev.AccountUpserted)
async def on_account(b: Batch, e: ev.AccountUpserted, c: Consumed) -> None:
    newer = await repository.upsert_account(b.uow.conn, e=e, at=e.occurred_at)
    if newer and e.owners is not None:
        given = {r: v for r, v in e.owners.model_dump().items() if r in repository.ROLES and v is not None}
        if given:
            reason = f"account upsert from {c.envelope.source}"
            await ownership.set_owners(b.uow, account_id=e.account_id, owners=given, reason=reason, actor=SYNC_ACTOR)
    b.touched.add(e.account_id)


UPSERTS: dict[type[ev.Signal], Callable[..., Awaitable[None]]] = {
    ev.ContactChanged: repository.upsert_contact,
    ev.TicketChanged: repository.upsert_ticket,
    ev.ProblemRecorded: repository.upsert_problem,
}


@handlers.on(*UPSERTS)
async def on_latest_wins(b: Batch, e: ev.Signal, c: Consumed) -> None:
    await UPSERTS[type(e)](b.uow.conn, e=e, at=e.occurred_at)
    b.touched.add(e.account_id)


@handlers.on(ev.ValueReviewRecorded)
async def on_value_review(b: Batch, e: ev.ValueReviewRecorded, c: Consumed) -> None:
    """The last review's outcome is a risk factor; the review is also the promised value-review touch."""
    await repository.upsert_value_review(b.uow.conn, e=e, at=e.occurred_at)
    await touch_repository.upsert_touch(b.uow.conn, e=e.as_touch(), at=e.occurred_at)
    b.touched.add(e.account_id)


@handlers.on(ev.TouchRecorded)
async def on_touch(b: Batch, e: ev.TouchRecorded, c: Consumed) -> None:
    """A promised touch held or missed: the sweep reads when each kind was last held."""
    await touch_repository.upsert_touch(b.uow.conn, e=e, at=e.occurred_at)


@handlers.on(ev.FeatureRequestStatusChanged)
async def on_request(b: Batch, e: ev.FeatureRequestStatusChanged, c: Consumed) -> None:
    """Latest status wins; once shipped, every account that asked for it is told (shipped.py)."""
    await requests.upsert(b.uow.conn, e=e, at=e.occurred_at)
    b.touched.add(e.account_id)
    if e.status == "shipped":
        await shipped.tell_requesters(b.uow, request_id=e.request_id)


@handlers.on(ev.DealClosedWon, ev.DealClosedWonV2)
async def on_deal(b: Batch, e: ev.DealSignal, c: Consumed) -> None:
    s = b.settings
    deal = e.model_dump(mode="python") | {"start_date": e.occurred_at.date()}
    await handoff.open_review(b.uow, deal=deal, actor=SYNC_ACTOR, horizon=s.horizon())
    b.touched.add(e.account_id)


@handlers.on(ev.UserDeleted)
async def on_user_deleted(b: Batch, e: ev.UserDeleted, c: Consumed) -> None:
    """A deletion request: every row that names the person or their contacts goes."""
    await privacy_repository.forget_person(b.uow.conn, user_id=e.user_id, contact_ids=e.contact_ids)

"""Kafka handlers: usage and signals → rollups and signal tables, accounts queued for a re-score.

One plain async function per event type in the ``handlers`` table. One pass over the batch,
aggregated writes, all inside the consumer loop's transaction (which also claims the event ids in
the inbox). Sums and latest-wins upserts make the result independent of the order of (re)delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.dispatch import Handlers
from bellwether_shared.envelope import utcnow
from bellwether_shared.events import ingest as ev, renewals as rev
from bellwether_shared.pricing import discount_pct
from bellwether_shared.records import Consumed
from health import calibration_repository, goal_repository, privacy_repository, repository, sentiment
from health.domain.milestones import MilestoneDef


@dataclass
class Batch:
    conn: asyncpg.Connection
    usage: dict[tuple[str, date, str], int] = field(default_factory=lambda: defaultdict(int))
    users: dict[tuple[str, date, str], int] = field(default_factory=lambda: defaultdict(int))
    hits: dict[tuple[str, str, date, str], int] = field(default_factory=lambda: defaultdict(int))
    touched: set[str] = field(default_factory=set)
    defs: list[MilestoneDef] | None = None  # loaded once per batch, on the first usage event


handlers: Handlers[Batch] = Handlers()


def make_handler(coalesce_ms: int) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        b = Batch(conn)
        for c in batch:
            await handlers.dispatch(b, c)
        if not b.touched:
            return
        await repository.apply_rollups(
            conn,
            accounts=b.touched,
            usage=[(*k, n) for k, n in b.usage.items()],
            users=[(*k, n) for k, n in b.users.items()],
            hits=[(*k, n) for k, n in b.hits.items()],
            now=utcnow(),
            window=timedelta(milliseconds=coalesce_ms),
        )

    return handle


# Usage events stay decoded JSON: parsing each into ``UsageRecorded`` costs 2.2 µs per event
# against 0.2 µs for the three fields read here (bench/parse_cost.py, in `make bench
# BENCH_ARGS='--suite health'`: usage_parse), ~3% of the consumer's whole per-event budget at
# 12.5k events/s per process, on the path that must keep up with ingest (issue 14).
@handlers.on_raw(ev.UsageRecorded.event_type)
async def on_usage(b: Batch, p: dict[str, Any], c: Consumed) -> None:
    account = p.get("account_id")
    if not account:
        return  # never published without one; a malformed record is not counted
    day = datetime.fromisoformat(p["timestamp"]).date()
    who = p.get("user_id") or p.get("anonymous_id") or "?"
    name = p["event"]
    b.usage[(account, day, name)] += 1
    b.users[(account, day, who)] += 1
    if b.defs is None:
        b.defs = [MilestoneDef(**r["definition"]) for r in await repository.milestone_defs(b.conn)]
    for d in b.defs:
        if d.matches(name, p.get("properties") or {}):
            b.hits[(account, d.key, day, who)] += 1
    b.touched.add(account)


@handlers.on(ev.NpsSubmitted)
async def on_nps(b: Batch, e: ev.NpsSubmitted, c: Consumed) -> None:
    await repository.upsert_nps(
        b.conn,
        account_id=e.account_id,
        contact_id=e.contact_id,
        score=e.score,
        at=e.occurred_at,
        comment=e.comment,
        polarity=sentiment.polarity(e.comment),
    )
    b.touched.add(e.account_id)


@handlers.on(ev.DealClosedWon, ev.DealClosedWonV2)
async def on_deal(b: Batch, e: ev.DealSignal, c: Consumed) -> None:
    pct = discount_pct(arr=e.arr, list_price=e.list_price)
    if pct is not None:
        await repository.set_discount(b.conn, account_id=e.account_id, discount_pct=pct)
    b.touched.add(e.account_id)


# signals kept latest-wins in a table of their own: the same handler, the table's upsert
UPSERTS: dict[type[ev.Signal], Callable[..., Awaitable[None]]] = {
    ev.AccountUpserted: repository.upsert_account,
    ev.TicketChanged: repository.upsert_ticket,
    ev.ContactChanged: repository.upsert_contact,
    ev.OnboardingConfirmed: goal_repository.upsert_onboarding,
    ev.GoalUpdated: goal_repository.upsert_goal,
    ev.ProblemRecorded: goal_repository.upsert_problem,
    ev.ValueReviewRecorded: goal_repository.upsert_value_review,
    ev.FeatureRequestStatusChanged: goal_repository.upsert_request,
}


@handlers.on(*UPSERTS)
async def on_latest_wins(b: Batch, e: ev.Signal, c: Consumed) -> None:
    await UPSERTS[type(e)](b.conn, e=e, at=e.occurred_at)
    b.touched.add(e.account_id)


@handlers.on(ev.UserIdentified)
async def on_identified(b: Batch, e: ev.UserIdentified, c: Consumed) -> None:
    """A user's e-mail links them to a contact of that address (their product use is the contact's)."""
    email = e.traits.get("email")
    if not e.user_id or not isinstance(email, str) or "@" not in email:
        return
    await repository.upsert_user_email(b.conn, user_id=e.user_id, email=email[:320], at=e.timestamp)
    b.touched.update(await repository.accounts_of_user(b.conn, user_id=e.user_id))


@handlers.on(ev.UserDeleted)
async def on_user_deleted(b: Batch, e: ev.UserDeleted, c: Consumed) -> None:
    """A deletion request: the person is forgotten (counts kept anonymous); their accounts re-scored."""
    b.touched.update(await privacy_repository.forget_user(b.conn, user_id=e.user_id, contact_ids=e.contact_ids))


@handlers.on(ev.AccountLifecycleChanged, ev.UserJoinedAccount)
async def on_membership(b: Batch, e: ev.IngestEvent, c: Consumed) -> None:
    """The account exists (scored from now on); nothing here moves a score by itself."""
    if e.account_id:
        b.touched.add(e.account_id)


@handlers.on(rev.RenewalClosed)
async def on_renewal_closed(b: Batch, e: rev.RenewalClosed, c: Consumed) -> None:
    """What happened at a renewal, kept to calibrate scorecards against (it moves no score)."""
    await calibration_repository.record_outcome(
        b.conn,
        opportunity_id=e.opportunity_id,
        account_id=e.account_id,
        renewal_date=e.renewal_date or e.closed_at.date(),
        outcome=e.outcome,
        arr=e.arr,
        closed_at=e.closed_at,
    )

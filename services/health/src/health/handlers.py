"""Kafka handler: usage and signals → rollups and signal tables, accounts queued for a re-score.

Thin: one pass over the batch, aggregated writes, all inside the consumer loop's transaction
(which also claims the event ids in the inbox). Sums and latest-wins upserts make the result
independent of the order of (re)delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.events import ingest as ev
from bellwether_shared.records import Consumed
from health import repository
from health.domain.milestones import MilestoneDef

UPSERTS: dict[str, Callable[..., Awaitable[None]]] = {
    ev.TicketChanged.event_type: repository.upsert_ticket,
    ev.ContactChanged.event_type: repository.upsert_contact,
    ev.OnboardingConfirmed.event_type: repository.upsert_onboarding,
    ev.GoalUpdated.event_type: repository.upsert_goal,
}


def make_handler(coalesce_ms: int) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        usage: dict[tuple[str, date, str], int] = defaultdict(int)
        users: dict[tuple[str, date, str], int] = defaultdict(int)
        hits: dict[tuple[str, str, date, str], int] = defaultdict(int)
        touched: set[str] = set()
        defs: list[MilestoneDef] | None = None
        for c in batch:
            t = c.envelope.type
            p: dict[str, Any] = c.payload
            account = p.get("account_id")
            if not account:
                continue
            if t == ev.UsageRecorded.event_type:
                day = datetime.fromisoformat(p["timestamp"]).date()
                who = p.get("user_id") or p.get("anonymous_id") or "?"
                name = p["event"]
                usage[(account, day, name)] += 1
                users[(account, day, who)] += 1
                if defs is None:
                    defs = [MilestoneDef(**r["definition"]) for r in await repository.milestone_defs(conn)]
                for d in defs:
                    if d.matches(name, p.get("properties") or {}):
                        hits[(account, d.key, day, who)] += 1
            elif t == ev.AccountUpserted.event_type:
                await repository.upsert_account(conn, p=p, at=_at(p))
            elif t == ev.NpsSubmitted.event_type:
                await repository.upsert_nps(
                    conn, account_id=account, contact_id=p["contact_id"], score=p["score"], at=_at(p)
                )
            elif t == ev.DealClosedWon.event_type:
                if p["list_price"] > 0:
                    pct = max(0.0, (1 - p["arr"] / p["list_price"]) * 100)
                    await repository.set_discount(conn, account_id=account, discount_pct=round(pct, 2))
            elif t in UPSERTS:
                await UPSERTS[t](conn, p=p, at=_at(p))
            elif t == ev.AccountLifecycleChanged.event_type or t == ev.UserJoinedAccount.event_type:
                pass  # the account exists; nothing here moves a score
            else:
                continue
            touched.add(account)
        if not touched:
            return
        await repository.apply_rollups(
            conn, accounts=touched, usage=[(*k, n) for k, n in usage.items()],
            users=[(*k, n) for k, n in users.items()], hits=[(*k, n) for k, n in hits.items()],
            due_at=utcnow() + timedelta(milliseconds=coalesce_ms),
        )  # fmt: skip

    return handle


def _at(p: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(p.get("occurred_at") or p["received_at"])

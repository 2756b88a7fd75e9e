"""Kafka handler: signals and health → the renewals projection, contracts and reviews; then the
risk of the touched accounts' open renewals is re-assessed in the same transaction, so a health
colour change and the renewal-at-risk event it causes commit together (inbox + state + outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.consumer import Consumed
from bellwether_shared.envelope import utcnow
from bellwether_shared.events import health as hev
from bellwether_shared.events import ingest as ev
from renewals import handoff, ownership, repository
from renewals.reassess import reassess
from renewals.settings import RenewalsSettings

SYNC_ACTOR = "sync:signals"
HEALTH_TYPES = (hev.HealthScoreChanged.event_type, hev.HealthColourChanged.event_type)


def make_handler(settings: RenewalsSettings) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        now = utcnow()
        touched: set[str] = set()
        for c in batch:
            t, p = c.envelope.type, c.payload
            account = p.get("account_id") if isinstance(p, dict) else None
            if not account:
                continue
            if t in HEALTH_TYPES:
                await repository.apply_health(
                    conn,
                    account_id=account,
                    value=p["new_value"] if "new_value" in p else p["value"],
                    colour=p["new_colour"],
                    reasons=p.get("reasons", []),
                    computed_at=datetime.fromisoformat(p["computed_at"]),
                    scorecard_id=p.get("scorecard_id"),
                    scorecard_version=p.get("scorecard_version"),
                )
            elif t == hev.MilestoneMissed.event_type:
                await repository.add_missed_milestone(conn, p=p)
            elif t == ev.AccountUpserted.event_type:
                if await repository.upsert_account(conn, p=p, at=_at(p)) and p.get("owners"):
                    given = {r: v for r, v in p["owners"].items() if r in repository.ROLES and v is not None}
                    await ownership.set_owners(
                        conn,
                        account_id=account,
                        owners=given,
                        reason=f"account upsert from {c.envelope.source}",
                        actor=SYNC_ACTOR,
                        now=now,
                    )
            elif t == ev.ContactChanged.event_type:
                await repository.upsert_contact(conn, p=p, at=_at(p))
            elif t == ev.TicketChanged.event_type:
                await repository.upsert_ticket(conn, p=p, at=_at(p))
            elif t == ev.DealClosedWon.event_type:
                await handoff.open_review(
                    conn,
                    deal={**p, "start_date": _at(p).date()},
                    actor=SYNC_ACTOR,
                    now=now,
                    lead_days=settings.renewal_lead_days,
                    trend_days=settings.health_trend_days,
                )
            else:
                continue
            touched.add(account)
        if touched:
            await reassess(conn, account_ids=sorted(touched), now=now, trend_days=settings.health_trend_days)

    return handle


def _at(p: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(p.get("occurred_at") or p["received_at"])

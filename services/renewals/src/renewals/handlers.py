"""Kafka handler: signals and health → the renewals projection, contracts and reviews; then the
risk of the touched accounts' open renewals is re-assessed in the same transaction, so a health
colour change and the renewal-at-risk event it causes commit together (inbox + state + outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.events import health as hev
from bellwether_shared.events import ingest as ev
from bellwether_shared.records import Consumed
from renewals import handoff, ownership, repository
from renewals.reassess import reassess
from renewals.settings import RenewalsSettings

SYNC_ACTOR = "sync:signals"
HealthRow = tuple[str, float, str, Any, datetime, str | None, int | None]
HEALTH_TYPES = (hev.HealthScoreChanged.event_type, hev.HealthColourChanged.event_type)


def make_handler(settings: RenewalsSettings) -> Callable[[asyncpg.Connection, Sequence[Consumed]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        now = utcnow()
        touched: set[str] = set()
        # health changes, the most frequent input, go first and in bulk (latest wins, history is a set:
        # their order relative to the other events does not matter)
        health: list[HealthRow] = []
        others: list[Consumed] = []
        for c in batch:
            p = c.payload
            account = p.get("account_id") if isinstance(p, dict) else None
            if not account:
                continue
            if c.envelope.type in HEALTH_TYPES:
                value = p["new_value"] if "new_value" in p else p["value"]
                at = datetime.fromisoformat(p["computed_at"])
                health.append(
                    (
                        account,
                        value,
                        p["new_colour"],
                        p.get("reasons", []),
                        at,
                        p.get("scorecard_id"),
                        p.get("scorecard_version"),
                    )
                )
                touched.add(account)
            else:
                others.append(c)
        await repository.apply_health_many(conn, rows=health)
        for c in others:
            if await _apply(conn, c, settings, now):
                touched.add(c.payload["account_id"])
        if touched:
            await reassess(conn, account_ids=sorted(touched), now=now, trend_days=settings.health_trend_days)

    return handle


async def _apply(conn: asyncpg.Connection, c: Consumed, settings: RenewalsSettings, now: datetime) -> bool:
    """One non-health event; False when it is not one renewals keeps."""
    t, p, account = c.envelope.type, c.payload, c.payload["account_id"]
    if t == hev.MilestoneMissed.event_type:
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
        return False
    return True


def _at(p: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(p.get("occurred_at") or p["received_at"])

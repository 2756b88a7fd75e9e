"""Promised touches past due: each account's engagement model (bellwether_shared.engagement) promises
business reviews, check-ins and an executive sponsor's meetings at a cadence; the sweep announces each
one overdue once per due day (``touch_overdue``: notifications opens the CSM's task). Touches are due
from the last one held, else from the first contract, and never from before the company recorded its
first touch: a go-live does not turn every account's history into overdue work."""

from __future__ import annotations

from datetime import date
from typing import Any

from bellwether_shared.engagement import DEFAULT_ENTITLEMENTS, TouchKind, decide, touches_due
from bellwether_shared.events import renewals as ev
from bellwether_shared.tiers import Tiers
from bellwether_shared.uow import UnitOfWork
from renewals import touch_repository as touches

PAGE = 500


async def announce_overdue(uow: UnitOfWork, *, tiers: Tiers) -> int:
    """Announce the promised touches that are past due and not yet announced; returns how many."""
    tracking = await touches.tracking_since(uow.conn)
    if tracking is None:
        return 0
    told, after = 0, None
    while True:
        rows = await touches.promised(uow.conn, after=after, limit=PAGE)
        for row in rows:
            told += await _overdue(uow, row, tiers=tiers, tracking=tracking)
        if len(rows) < PAGE:
            return told
        after = rows[-1]["account_id"]


async def _overdue(uow: UnitOfWork, row: Any, *, tiers: Tiers, tracking: date) -> int:
    choice = decide(
        tier=tiers.name(row["tier"]),
        growth=row["growth_potential"],
        preference=row["engagement_preference"],
        crm_model=row["engagement_model"],
    )
    done: dict[TouchKind, date] = {k: date.fromisoformat(v) for k, v in row["done"].items()}
    since = max(row["since"], tracking) if row["since"] is not None else None
    today = uow.now.date()
    told = 0
    for due in touches_due(DEFAULT_ENTITLEMENTS[choice.model], done=done, missed={}, since=since, today=today):
        if not due.overdue or due.due_on is None:
            continue
        if not await touches.tell_once(uow.conn, account_id=row["account_id"], kind=due.kind, due_on=due.due_on):
            continue
        uow.emit(
            ev.TouchOverdue(
                account_id=row["account_id"],
                kind=due.kind,
                due_on=due.due_on,
                days_overdue=(today - due.due_on).days,
                last_done=due.last_done,
                engagement_model=choice.model,
                engagement_reason=choice.reason,
                owner_id=row["csm"],
            )
        )
        told += 1
    return told

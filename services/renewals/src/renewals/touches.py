"""Promised touches past due: each account's engagement model (bellwether_shared.engagement) promises
business reviews, check-ins and an executive sponsor's meetings at a cadence; the sweep announces each
one overdue once per due day (``touch_overdue``: notifications opens the CSM's task). Touches are due
from the last one held, else from the first contract, and never from before the company recorded its
first touch of that kind: a go-live (or a kind of touch the company starts recording later, such as
value reviews) does not turn every account's history into overdue work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg

from bellwether_shared.engagement import TOUCH_KINDS, Choice, TouchDue, TouchKind, decide, touches_due
from bellwether_shared.events import renewals as ev
from bellwether_shared.settings import ServiceSettings
from bellwether_shared.uow import UnitOfWork
from renewals import touch_repository as touches

PAGE = 500


async def announce_overdue(uow: UnitOfWork, *, settings: ServiceSettings) -> int:
    """Announce the promised touches that are past due and not yet announced; returns how many."""
    tracking = await touches.tracking_since(uow.conn)
    if not tracking:
        return 0
    told, after = 0, None
    while True:
        rows = await touches.promised(uow.conn, after=after, limit=PAGE)
        for row in rows:
            told += await _overdue(uow, row, settings=settings, tracking=tracking)
        if len(rows) < PAGE:
            return told
        after = rows[-1]["account_id"]


async def owed(
    conn: asyncpg.Connection, *, rows: Sequence[Any], settings: ServiceSettings, today: date
) -> dict[str, list[str]]:
    """Each row's promised touches past due, in words (rows as :func:`touch_repository.promised` reads
    them), for the attention queue."""
    tracking = await touches.tracking_since(conn)
    if not tracking:
        return {}
    return {
        row["account_id"]: [
            f"{d.kind.replace('_', ' ')} {(today - d.due_on).days} days overdue"
            for d in _due(row, settings=settings, tracking=tracking, today=today)[1]
            if d.overdue and d.due_on is not None
        ]
        for row in rows
    }


def _due(
    row: Any, *, settings: ServiceSettings, tracking: Mapping[str, date], today: date
) -> tuple[Choice, list[TouchDue]]:
    choice = decide(
        tier=settings.tiers.name(row["tier"]),
        growth=row["growth_potential"],
        preference=row["engagement_preference"],
        crm_model=row["engagement_model"],
        arr=row["arr"] or None,  # no ARR known is not a small spend
    )
    done: dict[TouchKind, date] = {k: date.fromisoformat(v) for k, v in row["done"].items()}
    since: dict[TouchKind, date] = {
        k: max(row["since"], first) for k, first in tracking.items() if row["since"] is not None and k in TOUCH_KINDS
    }
    promised = settings.promises()[choice.model]
    return choice, touches_due(promised, done=done, missed={}, since=since, today=today)


async def _overdue(uow: UnitOfWork, row: Any, *, settings: ServiceSettings, tracking: Mapping[str, date]) -> int:
    today = uow.now.date()
    choice, due_list = _due(row, settings=settings, tracking=tracking, today=today)
    told = 0
    for due in due_list:
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

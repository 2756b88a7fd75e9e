"""Support as support leaders read it (bellwether_shared.support): an account's or the whole base's
contact rate per active user and its trend, bug share, top reasons and the requests still waiting."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from bellwether_shared import support as sp
from health import support_repository as repo


async def read(
    conn: asyncpg.Connection, *, account_id: str | None, today: date, window_days: int, top: int = 5
) -> sp.Support:
    """``account_id`` None: the whole base."""
    start = today - timedelta(days=window_days - 1)
    before = start - timedelta(days=window_days)
    rows = await repo.ticket_windows(conn, account_id=account_id, start=start, before=before)
    now, earlier = sp.windows((r["current"], r["reason"], r["bug_linked"], int(r["tickets"])) for r in rows)
    users, users_before = await repo.active_users(conn, account_id=account_id, start=start, before=before)
    waiting = [
        sp.Request(r["title"], r["status"], r["first_seen"], int(r["accounts"]))
        for r in await repo.waiting_requests(conn, account_id=account_id, limit=20)
    ]
    return sp.summarise(
        now,
        earlier,
        active_users=users,
        active_users_before=users_before,
        requests=waiting,
        today=today,
        window_days=window_days,
        top=top,
    )

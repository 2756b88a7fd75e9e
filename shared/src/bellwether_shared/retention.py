"""Retention: old rows deleted in small batches by a service's background loop, so storage stays
bounded without long locks or a vacuum storm. Each service lists its rules (table, condition on a
cutoff, and the age) in its ``retention.py``; ``loop`` runs one batch of each, again and again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.settings import ServiceSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class Rule:
    """Delete rows of ``table`` matching ``where`` (``$1`` is the cutoff) once older than ``keep``.
    Table and condition are code, never input."""

    table: str
    where: str
    keep: timedelta
    cutoff: Literal["timestamp", "date"] = "timestamp"

    def cutoff_at(self, now: datetime) -> datetime | date:
        at = now - self.keep
        return at.date() if self.cutoff == "date" else at


async def delete_batch(conn: asyncpg.Connection, rule: Rule, *, now: datetime, limit: int) -> int:
    status: str = await conn.execute(
        f"""DELETE FROM {rule.table} WHERE ctid = ANY(ARRAY(
              SELECT ctid FROM {rule.table} WHERE {rule.where} LIMIT {int(limit)}))""",
        rule.cutoff_at(now),
    )
    return int(status.rsplit(" ", 1)[1])


def loop(pool: asyncpg.Pool, rules: list[Rule], settings: ServiceSettings) -> BackgroundLoop:
    """The service's ``retention`` loop: every ``RETENTION_INTERVAL_S``, batches of ``RETENTION_BATCH``."""

    async def step() -> bool:
        return await prune_step(pool, rules, limit=settings.retention_batch)

    return BackgroundLoop("retention", step, interval_s=settings.retention_interval_s)


async def prune_step(pool: asyncpg.Pool, rules: list[Rule], *, limit: int, now: datetime | None = None) -> bool:
    """One batch per rule, each in its own short transaction. True: some table has more to delete."""
    now = now or utcnow()
    more = False
    for rule in rules:
        async with pool.acquire() as conn:
            n = await delete_batch(conn, rule, now=now, limit=limit)
        if n:
            log.info("retention", table=rule.table, deleted=n, older_than_days=rule.keep.days)
        more = more or n >= limit
    return more

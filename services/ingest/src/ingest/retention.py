"""What ingest deletes, and when: rejected events after ``REJECTED_RETENTION_DAYS``; events parked
without an account after ``UNATTRIBUTED_RETENTION_DAYS`` (their user was never mapped to an account:
they are dropped, and counted in the log). Run by the ``retention`` background loop in small batches."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.retention import Rule, prune_step
from bellwether_shared.service import Context
from ingest.settings import IngestSettings


def rules(settings: IngestSettings) -> list[Rule]:
    return [
        Rule("rejected_events", "received_at < $1", timedelta(days=settings.rejected_retention_days)),
        Rule("unattributed_events", "received_at < $1", timedelta(days=settings.unattributed_retention_days)),
    ]


async def prune(pool: asyncpg.Pool, settings: IngestSettings) -> bool:
    return await prune_step(pool, rules(settings), limit=settings.retention_batch)


def loops(ctx: Context) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, IngestSettings)

    async def step() -> bool:
        return await prune(ctx.pool, s)

    return [BackgroundLoop("retention", step, interval_s=s.retention_interval_s)]

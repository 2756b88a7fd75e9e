"""Re-scoring as background work: workers lease due accounts from the queue and score them (recompute),
the queue's gauges, and re-queuing every account (the decay schedule: time alone moves scores)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import asyncpg
from opentelemetry import metrics

from bellwether_shared.envelope import utcnow
from health import queue_repository, repository
from health.recompute import recompute
from health.settings import HealthSettings


async def recompute_due(pool: asyncpg.Pool, settings: HealthSettings, now: datetime | None = None) -> int:
    """Lease due accounts (``SKIP LOCKED``, committed at once) and score them in one transaction that
    ends the lease; a failure hands the accounts back to the queue, due at once."""
    lease = timedelta(seconds=settings.recompute_lease_s)
    async with pool.acquire() as conn:
        claim = await queue_repository.claim_due(conn, limit=settings.recompute_batch, lease=lease)
        if claim.lease is None:
            return 0
        accounts = [a for a, _, _ in claim.due]
        try:
            async with conn.transaction():
                traces = {account: trace for account, _, trace in claim.due if trace}
                async with repository.unit(conn, now=now or utcnow()) as uow:
                    await recompute(
                        uow, claimed=[(a, job) for a, job, _ in claim.due], settings=settings, traces=traces
                    )
                next_due = uow.now + timedelta(milliseconds=settings.coalesce_ms)
                await queue_repository.release(conn, accounts=accounts, lease=claim.lease, next_due=next_due)
        except BaseException:
            with contextlib.suppress(Exception):  # the database may be what failed: the lease then runs out
                await queue_repository.unclaim(conn, accounts=accounts, lease=claim.lease)
            raise
    return len(claim.due)


_meter = metrics.get_meter(__name__)


_depth = _meter.create_gauge("bellwether_health_recompute_queue_depth", description="accounts waiting for a re-score")


_overdue = _meter.create_gauge(
    "bellwether_health_recompute_overdue_seconds", description="how long the longest-waiting due account has waited"
)


_job_age = _meter.create_gauge(
    "bellwether_health_rescore_job_age_seconds", description="age of the oldest unfinished re-score job (0: none)"
)


async def report_queue(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        depth, overdue_s, job_age_s = await queue_repository.queue_state(conn)
    _depth.set(depth)
    _overdue.set(overdue_s)
    _job_age.set(job_age_s)
    return False


async def enqueue_all(pool: asyncpg.Pool, job_id: int | None = None) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return await queue_repository.enqueue_matching(conn, every=True, due_at=utcnow(), job_id=job_id)

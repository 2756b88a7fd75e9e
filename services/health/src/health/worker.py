"""Background work of the health service: workers draining the recompute queue, the decay schedule
that re-queues every account so time alone moves scores and passes milestone deadlines, and
retention. ``python -m health.worker`` runs the re-score workers without the API or the consumer,
so scoring scales apart from consumption."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import asyncpg
from opentelemetry import metrics

from bellwether_shared import retention as shared_retention
from bellwether_shared.envelope import utcnow
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from health import queue_repository, repository, retention
from health.recompute import recompute, scored
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
GAUGES_EVERY_S = 15.0


async def report_queue(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        depth, overdue_s, job_age_s = await queue_repository.queue_state(conn)
    _depth.set(depth)
    _overdue.set(overdue_s)
    _job_age.set(job_age_s)
    return False


async def enqueue_all(pool: asyncpg.Pool, job_id: int | None = None) -> int:
    async with pool.acquire() as conn, conn.transaction():
        ids = await repository.all_account_ids(conn)
        await queue_repository.enqueue(conn, account_ids=ids, due_at=utcnow(), job_id=job_id)
    return len(ids)


def loops(ctx: Context, *, schedule: bool = True) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, HealthSettings)
    pool = ctx.pool

    async def work() -> bool:
        return await recompute_due(pool, s) >= s.recompute_batch

    async def decay() -> bool:
        await enqueue_all(pool)
        return False

    found = [BackgroundLoop(f"recompute-{i}", work, interval_s=s.recompute_poll_s) for i in range(s.workers)]
    if schedule:
        scored.add(0)
        found.append(BackgroundLoop("queue-gauges", lambda: report_queue(pool), interval_s=GAUGES_EVERY_S))
        every = s.decay_interval_s
        found.append(BackgroundLoop("decay-schedule", decay, interval_s=every, start_delay_s=every))
        found.append(shared_retention.loop(pool, retention.rules(s), s))
    return found


def main() -> None:
    from bellwether_shared.settings import load_settings

    settings = load_settings(HealthSettings)
    asyncio.run(
        run_worker(
            settings,
            name="health-worker",
            loops=lambda ctx: loops(ctx, schedule=False),
            pool_size=settings.workers + 2,
        )
    )


if __name__ == "__main__":
    main()

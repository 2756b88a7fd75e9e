"""Background work of the health service: workers draining the recompute queue, and the decay
schedule that re-queues every account so time alone moves scores and passes milestone deadlines."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from health import repository, score_repository
from health.recompute import recompute
from health.settings import HealthSettings

log = get_logger(__name__)


class Recomputer:
    """Background workers draining the recompute queue, and the decay schedule."""

    def __init__(self, pool: asyncpg.Pool, settings: HealthSettings, *, schedule: bool = True) -> None:
        self.pool = pool
        self.settings = settings
        self.schedule = schedule
        self.scored = 0
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.healthy = True

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(i), name=f"recompute-{i}") for i in range(self.settings.workers)]
        if self.schedule:
            self._tasks.append(asyncio.create_task(self._schedule(), name="decay-schedule"))

    async def stop(self) -> None:
        self._stopping.set()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def run_once(self, now: datetime | None = None) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = await score_repository.claim_due(conn, limit=self.settings.recompute_batch)
            if claimed:
                await recompute(conn, claimed=claimed, now=now or utcnow(), settings=self.settings)
        self.scored += len(claimed)
        return len(claimed)

    async def _work(self, _: int) -> None:
        while not self._stopping.is_set():
            try:
                n = await self.run_once()
                self.healthy = True
                if n >= self.settings.recompute_batch:
                    continue
            except Exception as exc:  # noqa: BLE001 - the claimed rows roll back into the queue
                self.healthy = False
                log.error("recompute failed; retrying", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.recompute_poll_s)

    async def _schedule(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.decay_interval_s)
            if self._stopping.is_set():
                return
            try:
                await enqueue_all(self.pool)
            except Exception as exc:  # noqa: BLE001
                log.error("decay schedule failed", error=repr(exc))


async def enqueue_all(pool: asyncpg.Pool, job_id: int | None = None) -> int:
    async with pool.acquire() as conn, conn.transaction():
        ids = await repository.all_account_ids(conn)
        await repository.enqueue(conn, account_ids=ids, due_at=utcnow(), job_id=job_id)
    return len(ids)


async def run_worker(settings: HealthSettings) -> None:
    """``python -m health.worker``: re-score workers (and an outbox relay) without the API or the
    consumer, so scoring scales apart from consumption. Stops on SIGTERM after the batch in hand."""
    import signal

    from bellwether_shared.kafka import start_when_reachable
    from bellwether_shared.runtime import new_producer, open_pool, start_relay

    pool = await open_pool(settings, name="health-worker", max_size=settings.workers + 2)
    producer = new_producer(settings, client_id="health-worker")
    await start_when_reachable(producer)
    relay = start_relay(pool, producer, settings)
    workers = Recomputer(pool, settings, schedule=False)
    workers.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("health worker started", workers=settings.workers)
    await stop.wait()
    await workers.stop()
    await relay.stop()
    await producer.stop()
    await pool.close()


if __name__ == "__main__":
    from bellwether_shared.runtime import configure_process
    from bellwether_shared.settings import load_settings

    _settings = load_settings(HealthSettings)
    configure_process(_settings, service="health-worker")
    asyncio.run(run_worker(_settings))

"""The sweep: as days pass, contracts enter their renewal lead time and renewals enter the
90/60/30-day windows without any event arriving. Every ``SWEEP_INTERVAL_S`` it opens the due
renewal opportunities and re-assesses every open renewal's risk. One sweeper at a time across
replicas (an advisory lock); ``python -m renewals.worker --once`` runs a single sweep."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import datetime, timedelta

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from renewals import opportunity_repository as opps
from renewals import service
from renewals.reassess import reassess
from renewals.settings import RenewalsSettings

log = get_logger(__name__)
SWEEP_LOCK = 0x72656E65  # "rene"
SYSTEM = "system:sweep"


async def sweep(pool: asyncpg.Pool, settings: RenewalsSettings, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    opened = 0
    async with pool.acquire() as conn:
        async with conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SWEEP_LOCK):
                return {"opened": 0, "reassessed": 0, "skipped": 1}
            while True:
                due = await opps.contracts_without_renewal(
                    conn, ends_by=now.date() + timedelta(days=settings.renewal_lead_days), limit=500
                )
                for contract in due:
                    opened += (
                        await service.ensure_renewal(
                            conn, contract=contract, actor=SYSTEM, now=now, lead_days=settings.renewal_lead_days
                        )
                    ) is not None
                if len(due) < 500:
                    break
        async with conn.transaction():
            changed = await reassess(conn, account_ids=None, now=now, trend_days=settings.health_trend_days)
    if opened or changed:
        log.info("sweep", opened=opened, reassessed=changed)
    return {"opened": opened, "reassessed": changed, "skipped": 0}


class Sweeper:
    def __init__(self, pool: asyncpg.Pool, settings: RenewalsSettings) -> None:
        self.pool, self.settings = pool, settings
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="renewals-sweep")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await sweep(self.pool, self.settings)
                self.runs += 1
            except Exception as exc:  # noqa: BLE001 - next interval tries again
                log.error("sweep failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.sweep_interval_s)


async def _main(once: bool) -> None:
    from bellwether_shared.runtime import configure_process, open_pool
    from bellwether_shared.settings import load_settings

    settings = load_settings(RenewalsSettings)
    configure_process(settings, service="renewals-worker")
    pool = await open_pool(settings, name="renewals-worker", max_size=2)
    try:
        if once:
            print(await sweep(pool, settings))
            return
        sweeper = Sweeper(pool, settings)
        sweeper.start()
        await asyncio.Event().wait()
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(_main("--once" in sys.argv))

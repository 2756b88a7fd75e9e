"""The sweep: as days pass, contracts enter their renewal lead time, renewals enter the 90/60/30-day
windows and promised touches fall due without any event arriving. It opens the due renewal
opportunities, re-assesses every open renewal's risk and announces the touches past due; one sweeper at
a time across replicas (an advisory lock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from renewals import contract_repository as contracts, opportunities, repository, touches
from renewals.reassess import reassess
from renewals.settings import RenewalsSettings

log = get_logger(__name__)


SWEEP_LOCK = 0x72656E65  # "rene"


SYSTEM = "system:sweep"


async def sweep(pool: asyncpg.Pool, settings: RenewalsSettings, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    opened = 0
    async with pool.acquire() as conn:
        async with conn.transaction(), repository.unit(conn, now=now) as uow:
            if not await repository.try_lock(conn, lock_id=SWEEP_LOCK):
                return {"opened": 0, "reassessed": 0, "touches_overdue": 0, "skipped": 1}
            while True:
                due = await contracts.contracts_without_renewal(
                    conn, ends_by=now.date() + timedelta(days=settings.renewal_lead_days), limit=500
                )
                for contract in due:
                    opened += (
                        await opportunities.ensure_renewal(
                            uow, contract=contract, actor=SYSTEM, lead_days=settings.renewal_lead_days
                        )
                    ) is not None
                if len(due) < 500:
                    break
        async with conn.transaction(), repository.unit(conn, now=now) as uow:
            changed = await reassess(uow, account_ids=None, horizon=settings.horizon())
        async with conn.transaction(), repository.unit(conn, now=now) as uow:
            overdue = await touches.announce_overdue(uow, settings=settings)
    if opened or changed or overdue:
        log.info("sweep", opened=opened, reassessed=changed, touches_overdue=overdue)
    return {"opened": opened, "reassessed": changed, "touches_overdue": overdue, "skipped": 0}

"""The sweep: as days pass, contracts enter their renewal lead time and renewals enter the
90/60/30-day windows without any event arriving. Every ``SWEEP_INTERVAL_S`` it opens the due
renewal opportunities and re-assesses every open renewal's risk. One sweeper at a time across
replicas (an advisory lock); ``python -m renewals.worker --once`` runs a single sweep."""

from __future__ import annotations

import asyncio
import sys

from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from renewals.settings import RenewalsSettings
from renewals.sweeps import sweep


def loops(ctx: Context) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, RenewalsSettings)

    async def step() -> bool:
        await sweep(ctx.pool, s)
        return False

    return [BackgroundLoop("renewals-sweep", step, interval_s=s.sweep_interval_s)]


def main() -> None:
    from bellwether_shared.settings import load_settings

    settings = load_settings(RenewalsSettings)
    if "--once" in sys.argv:
        asyncio.run(_once(settings))
    else:
        asyncio.run(run_worker(settings, name="renewals-worker", loops=loops, pool_size=2))


async def _once(settings: RenewalsSettings) -> None:
    from bellwether_shared.runtime import configure_process, open_pool

    configure_process(settings, service="renewals-worker")
    pool = await open_pool(settings, name="renewals-worker", max_size=2)
    try:
        print(await sweep(pool, settings))
    finally:
        await pool.close()


if __name__ == "__main__":
    main()

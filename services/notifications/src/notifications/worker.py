"""Background work of the notifications service: the deliverer (sends, retries, disables), digests,
retention, the task sweep (snoozed tasks wake up; overdue tasks alert their owner), and the CRM writer
(scores written back to HubSpot and Salesforce)."""

from __future__ import annotations

import asyncio

from bellwether_shared.envelope import utcnow
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from bellwether_shared.settings import load_settings
from notifications import tasks
from notifications.crm_sync import CrmWriter
from notifications.deliverer import Deliverer
from notifications.settings import NotificationsSettings


def loops(ctx: Context) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, NotificationsSettings)
    if not s.workers:
        return []
    pool = ctx.pool

    async def sweep() -> bool:
        return await tasks.sweep(pool, now=utcnow()) > 0

    box = s.box()
    return [
        *Deliverer(pool, s, box).loops(),
        *CrmWriter(pool, s, box).loops(),
        BackgroundLoop("task-sweep", sweep, interval_s=s.task_sweep_s),
    ]


def main() -> None:
    """``python -m notifications.worker``: the loops alone, without the API or the consumer."""
    settings = load_settings(NotificationsSettings)
    asyncio.run(run_worker(settings, name="notifications-worker", loops=loops, pool_size=4))


if __name__ == "__main__":
    main()

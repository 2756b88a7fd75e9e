"""Background work of the health service: workers draining the recompute queue, the decay schedule
that re-queues every account so time alone moves scores and passes milestone deadlines, and
retention. ``python -m health.worker`` runs the re-score workers without the API or the consumer,
so scoring scales apart from consumption."""

from __future__ import annotations

import asyncio

from bellwether_shared import retention as shared_retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from health import retention_repository as retention
from health.recompute import scored
from health.rescoring import enqueue_all, recompute_due, report_queue
from health.settings import HealthSettings

GAUGES_EVERY_S = 15.0


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

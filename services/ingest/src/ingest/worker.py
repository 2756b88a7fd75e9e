"""Background work of the ingest service besides the outbox relay (which every service runs):
retention of rejected and parked events. Started by ``create_service`` from ``loops``;
``python -m ingest.worker`` runs them alone."""

from __future__ import annotations

import asyncio

from bellwether_shared import retention as shared_retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from bellwether_shared.settings import load_settings
from ingest import retention_repository as retention, tracking
from ingest.settings import IngestSettings


def loops(ctx: Context) -> list[BackgroundLoop]:
    assert isinstance(ctx.settings, IngestSettings)
    tracking.count_from_zero()
    return [shared_retention.loop(ctx.pool, retention.rules(ctx.settings), ctx.settings)]


def main() -> None:
    """``python -m ingest.worker``: the loops alone, without the API or the consumer."""
    settings = load_settings(IngestSettings)
    asyncio.run(run_worker(settings, name="ingest-worker", loops=loops, pool_size=2))


if __name__ == "__main__":
    main()

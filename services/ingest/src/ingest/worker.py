"""Background work of the ingest service besides the outbox relay (which every service runs):
retention of rejected and parked events. Started by ``create_service`` from ``loops``."""

from __future__ import annotations

from bellwether_shared import retention as shared_retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context
from ingest import retention, service
from ingest.settings import IngestSettings


def loops(ctx: Context) -> list[BackgroundLoop]:
    assert isinstance(ctx.settings, IngestSettings)
    service.count_from_zero()
    return [shared_retention.loop(ctx.pool, retention.rules(ctx.settings), ctx.settings)]

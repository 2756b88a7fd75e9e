"""What ingest deletes, and when: rejected events after ``REJECTED_RETENTION_DAYS``; events parked
without an account after ``UNATTRIBUTED_RETENTION_DAYS`` (their user was never mapped to an account:
they are dropped, and counted in the log). Run by the ``retention`` background loop in small batches."""

from __future__ import annotations

from datetime import timedelta

from bellwether_shared import retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.retention import Rule
from bellwether_shared.service import Context
from ingest.settings import IngestSettings


def rules(settings: IngestSettings) -> list[Rule]:
    return [
        Rule("rejected_events", "received_at < $1", timedelta(days=settings.rejected_retention_days)),
        Rule("unattributed_events", "received_at < $1", timedelta(days=settings.unattributed_retention_days)),
    ]


def loops(ctx: Context) -> list[BackgroundLoop]:
    assert isinstance(ctx.settings, IngestSettings)
    return [retention.loop(ctx.pool, rules(ctx.settings), ctx.settings)]

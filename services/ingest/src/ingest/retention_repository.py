"""What ingest deletes, and when: rejected events after ``REJECTED_RETENTION_DAYS``; events parked
without an account after ``UNATTRIBUTED_RETENTION_DAYS`` (their user was never mapped to an account:
they are dropped, and counted in the log). Run by the ``retention`` background loop in small batches."""

from __future__ import annotations

from datetime import timedelta

from bellwether_shared.retention import Rule
from ingest.settings import IngestSettings


def rules(settings: IngestSettings) -> list[Rule]:
    return [
        Rule("rejected_events", "received_at < $1", timedelta(days=settings.rejected_retention_days)),
        Rule("unattributed_events", "received_at < $1", timedelta(days=settings.unattributed_retention_days)),
    ]

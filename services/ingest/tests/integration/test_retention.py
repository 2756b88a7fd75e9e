"""Ingest's retention rules on its migrated schema (rolled back): rejected and parked events past
their settings' age are deleted in batches, younger ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bellwether_shared.retention import delete_batch
from ingest.retention_repository import rules
from ingest.settings import IngestSettings
from tests.support.db import rolled_back

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


async def test_rejected_and_parked_events_past_their_age_are_deleted(ingest_db, run_id) -> None:
    settings = IngestSettings(
        database_url="postgresql://x@localhost/x",
        kafka_bootstrap_servers="localhost:9092",
        admin_token=SecretStr("t" * 32),
        rejected_retention_days=7,
        unattributed_retention_days=30,
    )  # type: ignore[call-arg]
    src = f"src-{run_id}"
    async with rolled_back(ingest_db.url, schema="ingest") as conn:
        await conn.execute(
            """INSERT INTO sources (id, name, write_key_hash, key_prefix, rate_limit_eps, burst)
               VALUES ($1, 'n', $1, 'p', 1, 1)""",
            src,
        )
        for i, age in enumerate((8, 6)):
            await conn.execute(
                """INSERT INTO rejected_events (source_id, request_id, endpoint, idx, field, reason, received_at)
                   VALUES ($1, $2, 'track', 0, 'event', 'missing', $3)""",
                src,
                f"{run_id}-{i}",
                NOW - timedelta(days=age),
            )
        for age in (31, 29):
            await conn.execute(
                "INSERT INTO unattributed_events VALUES ($1, 'u', $2, '{}', $3)",
                f"{run_id}-{age}",
                src,
                NOW - timedelta(days=age),
            )
        for rule in rules(settings):
            while await delete_batch(conn, rule, now=NOW, limit=1):
                pass
        rejected = await conn.fetch("SELECT request_id FROM rejected_events WHERE source_id = $1", src)
        parked = await conn.fetch("SELECT event_id FROM unattributed_events WHERE source_id = $1", src)
    assert [r["request_id"] for r in rejected] == [f"{run_id}-1"]
    assert [r["event_id"] for r in parked] == [f"{run_id}-29"]

"""Notifications' retention rules on its migrated schema (rolled back): finished deliveries go with
their attempts after the delivery age; pending ones never; an alert goes (with its outcomes) only
once no delivery of its own is left and no digest still waits for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import SecretStr

from bellwether_shared.retention import delete_batch
from notifications.retention_repository import rules
from notifications.settings import NotificationsSettings
from tests.support.db import rolled_back

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=100)


async def _alert(conn: asyncpg.Connection, alert_id: str) -> None:
    await conn.execute(
        """INSERT INTO alerts (alert_id, rule_id, event_id, event_type, severity, alert_key, title, text, why,
                               facts, created_at)
           VALUES ($1, 'r', $1, 't', 'info', 'k', 't', 't', 'w', '{}', $2)""",
        alert_id,
        OLD,
    )


async def _delivery(conn: asyncpg.Connection, delivery_id: str, dest: str, alert_id: str, status: str) -> None:
    await conn.execute(
        """INSERT INTO deliveries (delivery_id, destination_id, alert_id, recipient, kind, payload, status, created_at)
           VALUES ($1, $2, $3, 'p', 'webhook', '\\x7b7d', $4, $5)""",
        delivery_id,
        dest,
        alert_id,
        status,
        OLD,
    )
    await conn.execute("INSERT INTO delivery_attempts VALUES ($1, 1, $2, 500, 'e', 1)", delivery_id, OLD)


async def test_finished_deliveries_and_alerts_without_anything_waiting_are_deleted(notifications_db, run_id) -> None:
    settings = NotificationsSettings(
        database_url="postgresql://x@localhost/x",
        kafka_bootstrap_servers="localhost:9092",
        api_token=SecretStr("t" * 32),
        secrets_key=SecretStr("k" * 40),
        delivery_retention_days=30,
        alert_retention_days=90,
    )  # type: ignore[call-arg]
    dest, a_done, a_pending, a_digest = (f"{x}-{run_id}" for x in ("dest", "done", "pending", "digest"))
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await conn.execute(
            "INSERT INTO destinations (destination_id, name, kind, target) VALUES ($1, 'd', 'webhook', 'https://x.test')",
            dest,
        )
        for alert in (a_done, a_pending, a_digest):
            await _alert(conn, alert)
        await _delivery(conn, f"d1-{run_id}", dest, a_done, "succeeded")
        await _delivery(conn, f"d2-{run_id}", dest, a_pending, "pending")
        await conn.execute(
            "INSERT INTO alert_outcomes (alert_id, recipient, alert_key, outcome, reason, decided_at) VALUES ($1, 'p', 'k', 'digest', 'quiet hours', $2)",  # noqa: E501
            a_digest,
            OLD,
        )
        for rule in rules(settings):
            while await delete_batch(conn, rule, now=NOW, limit=1):
                pass
        deliveries = await conn.fetch("SELECT delivery_id FROM deliveries WHERE destination_id = $1", dest)
        attempts = await conn.fetchval("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", f"d1-{run_id}")
        alerts = await conn.fetch(
            "SELECT alert_id FROM alerts WHERE alert_id = ANY($1) ORDER BY 1", [a_done, a_pending, a_digest]
        )
        outcomes = await conn.fetchval("SELECT count(*) FROM alert_outcomes WHERE alert_id = $1", a_digest)
    assert [r["delivery_id"] for r in deliveries] == [f"d2-{run_id}"]  # pending stays
    assert attempts == 0  # went with its delivery
    assert sorted(r["alert_id"] for r in alerts) == sorted([a_digest, a_pending])  # done went; others wait
    assert outcomes == 1

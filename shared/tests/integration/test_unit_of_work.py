"""The unit of work on a real migrated schema (the test consumer's, which has the outbox): events
and audit entries are written when the unit completes and not at all when it fails; a unit joined
to an open transaction rolls back with it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import pytest

from bellwether_shared.events import health as hev
from bellwether_shared.uow import AuditEntry, within
from tests.support.db import rolled_back

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def colour(account: str) -> hev.HealthColourChanged:
    return hev.HealthColourChanged(
        account_id=account, old_colour=None, new_colour="red", value=1, reasons=[], computed_at=NOW
    )


async def _outbox(pool: asyncpg.Pool, account: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch("SELECT event_id, source, subject, event_time FROM outbox WHERE subject = $1", account)
    )


async def test_events_are_written_at_commit_with_envelopes_built_by_the_unit(counter_pool, run_id) -> None:
    audited: list[AuditEntry] = []

    async def audit(conn: asyncpg.Connection, entries: Sequence[AuditEntry]) -> None:
        assert conn.is_in_transaction()
        audited.extend(entries)

    async with (
        counter_pool.acquire() as conn,
        conn.transaction(),
        within(conn, source="bellwether/test", audit_writer=audit, now=NOW) as uow,
    ):
        uow.emit(colour(f"{run_id}-a"), colour(f"{run_id}-a"))
        uow.audit(entity_type="thing", entity_id="1", action="done", actor="me", details={"k": 1})
        assert await _outbox(counter_pool, f"{run_id}-a") == []  # nothing before the unit completes
    rows = await _outbox(counter_pool, f"{run_id}-a")
    assert len(rows) == 2 and len({r["event_id"] for r in rows}) == 2
    assert {(r["source"], r["event_time"]) for r in rows} == {("bellwether/test", NOW)}
    assert [(e.entity_id, e.action) for e in audited] == [("1", "done")]
    await counter_pool.execute("DELETE FROM outbox WHERE subject = $1", f"{run_id}-a")


async def _refused(pool: asyncpg.Pool, account: str) -> None:
    async with pool.acquire() as conn, conn.transaction(), within(conn, source="bellwether/test") as uow:
        uow.emit(colour(account))
        raise RuntimeError("refused")


async def test_a_failing_unit_writes_nothing(counter_pool, run_id) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        await _refused(counter_pool, f"{run_id}-b")
    assert await _outbox(counter_pool, f"{run_id}-b") == []


async def test_a_joined_unit_writes_in_the_open_transaction_and_refuses_audit_without_a_writer(
    counter_db, run_id
) -> None:
    async with rolled_back(counter_db, schema="counter") as conn:
        async with within(conn, source="bellwether/test") as uow:
            uow.emit(colour(f"{run_id}-c"), event_id=None)
            with pytest.raises(RuntimeError, match="no audit trail"):
                uow.audit(entity_type="t", entity_id="1", action="a", actor="me", details={})
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = $1", f"{run_id}-c") == 1
    # rolled back with the transaction it joined
    conn2 = await asyncpg.connect(counter_db)
    try:
        assert await conn2.fetchval("SELECT count(*) FROM counter.outbox WHERE subject = $1", f"{run_id}-c") == 0
    finally:
        await conn2.close()

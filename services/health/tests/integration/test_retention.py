"""Health's retention rules on its migrated schema (rolled back): what is past the window goes, what
is inside stays, and an account's latest score always stays however old."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import SecretStr

from bellwether_shared.retention import delete_batch
from health.retention_repository import rules
from health.settings import HealthSettings
from tests.support.db import rolled_back

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _settings() -> HealthSettings:
    return HealthSettings(
        database_url="postgresql://x@localhost/x",
        kafka_bootstrap_servers="localhost:9092",
        api_token=SecretStr("t" * 32),
        history_days=90,
        score_history_days=30,
    )  # type: ignore[call-arg]


async def test_rollups_past_the_window_go_and_the_latest_score_stays(health_db, run_id) -> None:
    by_table = {r.table: r for r in rules(_settings())}
    old, kept = NOW.date() - timedelta(days=91), NOW.date() - timedelta(days=89)
    a, b = f"ret-a-{run_id}", f"ret-b-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        for day in (old, kept):
            await conn.execute("INSERT INTO usage_daily VALUES ($1, $2, 'e', 1)", a, day)
            await conn.execute("INSERT INTO user_days VALUES ($1, $2, 'u', 1)", a, day)
            await conn.execute("INSERT INTO milestone_hits VALUES ($1, 'm', $2, 'u', 1)", a, day)
        score = "INSERT INTO scores (account_id, computed_at, value, colour, sufficient, scorecard_id, scorecard_version, measures, reasons) VALUES ($1, $2, 50, 'yellow', true, 'default', 1, '{}', '[]')"  # noqa: E501
        for at in (NOW - timedelta(days=40), NOW - timedelta(days=35), NOW - timedelta(days=1)):
            await conn.execute(score, a, at)
        await conn.execute(score, b, NOW - timedelta(days=400))  # b's only score: its latest
        for rule in by_table.values():
            while await delete_batch(conn, rule, now=NOW, limit=1):  # small batches until done
                pass
        for table in ("usage_daily", "user_days", "milestone_hits"):
            days = await conn.fetch(f"SELECT day FROM {table} WHERE account_id = $1", a)
            assert [r["day"] for r in days] == [kept], table
        left = await conn.fetch(
            "SELECT account_id, computed_at FROM scores WHERE account_id = ANY($1) ORDER BY 1", [a, b]
        )
        assert [(r["account_id"], r["computed_at"]) for r in left] == [
            (a, NOW - timedelta(days=1)),
            (b, NOW - timedelta(days=400)),
        ]


def test_cutoffs_follow_the_settings() -> None:
    by_table = {r.table: r for r in rules(_settings())}
    assert by_table["usage_daily"].cutoff_at(NOW) == date(2026, 3, 3)  # 90 days before 1 June
    assert by_table["scores"].cutoff_at(NOW) == NOW - timedelta(days=30)

"""The re-score's EXPLAIN pass (bench.explain) on the real PostgreSQL: it records the statements health's own
re-score runs for a batch, plans each read with EXPLAIN (ANALYZE, BUFFERS), and leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from bellwether_shared.db import connect
from bench.explain import _compact, explain_batch
from conftest import migrated, new_database
from devkit.infra import Endpoints
from health.settings import HealthSettings

ACCOUNTS = ["ex-1", "ex-2", "ex-3"]
DAYS = [date.today() - timedelta(days=d) for d in (0, 4)]


async def _seed(url: str) -> None:
    conn = await connect(url, schema="health")
    try:
        await conn.executemany(
            "INSERT INTO accounts (account_id, seats, tier) VALUES ($1, 10, 'mid')", [(a,) for a in ACCOUNTS]
        )
        await conn.executemany(
            "INSERT INTO user_days (account_id, day, user_id, events) VALUES ($1, $2, $3, 1)",
            [(a, d, u) for a in ACCOUNTS for d in DAYS for u in ("u1", "u2")],
        )
    finally:
        await conn.close()


async def _scores(url: str) -> int:
    conn = await connect(url, schema="health")
    try:
        return int(await conn.fetchval("SELECT count(*) FROM account_health"))
    finally:
        await conn.close()


def test_explain_batch_plans_the_rescore_reads_and_rolls_back(endpoints: Endpoints, tmp_path: Path) -> None:
    db = migrated(new_database(endpoints.admin_database_url), "health")
    asyncio.run(_seed(db.url))
    settings = HealthSettings.model_validate(
        {"database_url": db.url, "kafka_bootstrap_servers": endpoints.kafka_bootstrap, "api_token": "t" * 20}
    )

    out = explain_batch(db.url, accounts=ACCOUNTS, settings=settings, size=3, out_dir=tmp_path)

    reads = {r["statement"].split(" FROM ")[1].split()[0]: r for r in out["reads"] if " FROM " in r["statement"]}
    assert reads["user_days"]["rows"] == len(ACCOUNTS) * len(DAYS)  # grouped per account and day
    assert reads["accounts"]["rows"] == len(ACCOUNTS)
    assert out["writes_ms"] > 0 and out["statements"] > len(out["reads"])  # the scores were written, then undone
    plans = (tmp_path / "rescore_explain_3.txt").read_text()
    assert plans.count("Execution Time") == len(out["reads"])
    assert asyncio.run(_scores(db.url)) == 0


def test_compact_shortens_literal_id_lists_only() -> None:
    ids = ",".join(f"acct-{i}" for i in range(40))
    assert (
        _compact(f"Filter: (account_id = ANY ('{{{ids}}}'::text[]))")
        == "Filter: (account_id = ANY ('{… 40 ids}'::text[]))"
    )
    assert _compact("Filter: (tiers = '{a,b}'::text[])") == "Filter: (tiers = '{a,b}'::text[])"

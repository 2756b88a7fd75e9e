"""Health's read and configuration repositories on the migrated schema, in a rolled-back
transaction: filters, sorting and paging of the account list, the usage window arithmetic, the
history a trend needs, and the milestone/scorecard writes' answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from health import (
    config_repository as config,
    query_repository as queries,
    queue_repository,
    repository,
    score_repository,
)
from tests.support.db import rolled_back

NOW = datetime.now(UTC)
LEASE = timedelta(seconds=60)
SCORE = """INSERT INTO scores (account_id, computed_at, value, colour, sufficient, scorecard_id, scorecard_version,
           measures, reasons) VALUES ($1, $2, $3, 'yellow', true, 'default', 1, '[]', '[]')"""


async def _queued(conn: asyncpg.Connection, run_id: str) -> list[str]:
    rows = await conn.fetch("SELECT account_id FROM recompute_queue WHERE account_id LIKE '%' || $1", run_id)
    return sorted(r["account_id"] for r in rows)


async def test_history_since_keeps_the_last_score_before_the_window(health_db, run_id) -> None:
    acct = f"qr-h-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        for days, value in ((40, 10.0), (35, 20.0), (5, 30.0), (1, 40.0)):
            await conn.execute(SCORE, acct, NOW - timedelta(days=days), value)
        got = await queries.history_since(conn, account_id=acct, since=NOW - timedelta(days=30))
        page = await queries.scores(conn, account_id=acct, since=None, limit=2)
    assert [v for _, v in got] == [20.0, 30.0, 40.0]  # 35 days ago is the base of a 30-day trend
    assert [p["value"] for p in page] == [40.0, 30.0]  # newest first, limited


async def test_usage_counts_active_users_and_compares_windows(health_db, run_id) -> None:
    acct = f"qr-u-{run_id}"
    today = NOW.date()
    async with rolled_back(health_db.url, schema="health") as conn:
        for day, user, event, n in (
            (0, "a", "Login", 3),
            (0, "b", "Export", 1),
            (3, "c", "Login", 2),
            (10, "a", "Login", 4),
        ):
            d = today - timedelta(days=day)
            await conn.execute("INSERT INTO usage_daily VALUES ($1, $2, $3, $4)", acct, d, event, n)
            await conn.execute("INSERT INTO user_days VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", acct, d, user, n)
        u = await queries.usage(
            conn, account_id=acct, today=today, start=today - timedelta(days=6), prev_start=today - timedelta(days=13)
        )
    assert u.active == {"dau": 2, "wau": 3, "mau": 3, "active_in_window": 3}
    assert u.by_event == [{"event": "Login", "events": 5}, {"event": "Export", "events": 1}]
    assert u.previous == 4  # day 10 falls in the previous 7-day window


async def test_the_account_list_filters_sorts_and_pages(health_db, run_id) -> None:
    tier = f"t-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        for i, (value, colour, trend) in enumerate(((80, "green", 5), (30, "red", -10), (55, "yellow", 0))):
            acct = f"qr-l-{run_id}-{i}"
            await conn.execute("INSERT INTO accounts (account_id, tier) VALUES ($1, $2)", acct, tier)
            await conn.execute(
                """INSERT INTO account_health (account_id, computed_at, value, colour, sufficient, scorecard_id,
                                               scorecard_version, measures, reasons, trend_30d)
                   VALUES ($1, now(), $2, $3, true, 'default', 1, '[]', '[]', $4)""",
                acct,
                value,
                colour,
                trend,
            )
        total, page = await queries.accounts(
            conn, where=queries.AccountFilter(tier=tier), sort="-score", limit=2, offset=0
        )
        _, down = await queries.accounts(
            conn, where=queries.AccountFilter(tier=tier, trend="down"), sort="score", limit=10, offset=0
        )
        _, rest = await queries.accounts(conn, where=queries.AccountFilter(tier=tier), sort="score", limit=2, offset=2)
    assert total == 3 and [p["value"] for p in page] == [80, 55]
    assert [d["colour"] for d in down] == ["red"]
    assert [r["value"] for r in rest] == [80]


async def test_configuration_writes_answer_whether_they_found_their_row(health_db, run_id) -> None:
    key = f"m-{run_id}"
    definition = {"key": key, "name": "M", "event": "E", "threshold": 1, "window_days": 7, "deadline_days": 30}
    async with rolled_back(health_db.url, schema="health") as conn:
        assert await config.insert_milestone(conn, key=key, definition=definition)
        assert not await config.insert_milestone(conn, key=key, definition=definition)  # exists: False, tx intact
        assert await config.update_milestone(conn, key=key, definition=definition | {"threshold": 2})
        assert not await config.update_milestone(conn, key=f"{key}-none", definition=definition)
        assert await config.retire_milestone(conn, key=key)
        assert not await config.retire_milestone(conn, key=f"{key}-none")
        card = await config.insert_scorecard(
            conn,
            card_id=f"c-{run_id}",
            version=1,
            name="C",
            definition={"measures": []},
            segments=[],
            tiers=[f"t-{run_id}"],
            is_default=False,
        )
        await conn.execute("INSERT INTO accounts (account_id, tier) VALUES ($1, $2)", f"a-{run_id}", f"t-{run_id}")
        queued = await queue_repository.enqueue_matching(conn, every=False, tiers=[f"t-{run_id}"], due_at=NOW)
        matching = await _queued(conn, run_id)
        job = await config.new_rescore_job(conn, card_id=card["id"], version=1)
        await config.set_rescore_total(conn, job_id=job, total=0)
        state = await config.rescore_job(conn, job_id=job)
        latest = await config.latest_scorecard(conn, card_id=f"c-{run_id}")
    assert queued >= 1 and matching == [f"a-{run_id}"], "the card's tier, and nothing else of this run"
    assert state is not None and state["finished_at"] is not None  # nothing to do: done at once
    assert latest is not None and latest["version"] == 1


async def test_the_rescore_queue_claims_due_accounts_once_and_jobs_finish(health_db, run_id) -> None:
    a, b, later = f"q-a-{run_id}", f"q-b-{run_id}", f"q-l-{run_id}"
    async with (
        rolled_back(health_db.url, schema="health") as conn,
        rolled_back(health_db.url, schema="health") as other,
    ):
        job = await config.new_rescore_job(conn, card_id="default", version=1)
        await config.set_rescore_total(conn, job_id=job, total=2)
        await queue_repository.enqueue(conn, account_ids=[a, b], due_at=NOW - timedelta(seconds=5), job_id=job)
        await queue_repository.enqueue(conn, account_ids=[later], due_at=NOW + timedelta(hours=1))
        await queue_repository.enqueue(
            conn, account_ids=[a], due_at=NOW + timedelta(hours=2)
        )  # queued already: kept due
        claimed = await queue_repository.claim_due(conn, limit=10_000, lease=LEASE)
        mine = sorted(x for x in claimed.due if x[0].endswith(run_id))
        elsewhere = await queue_repository.claim_due(other, limit=10_000, lease=LEASE)
        seen_elsewhere = [x for x in elsewhere.due if x[0].endswith(run_id)]
        await score_repository.job_progress(conn, done={job: 1})
        half = await config.rescore_job(conn, job_id=job)
        await score_repository.job_progress(conn, done={job: 5})  # never past the total
        done = await config.rescore_job(conn, job_id=job)
        await conn.execute("INSERT INTO accounts (account_id, tier) VALUES ($1, 'gold')", a)
        await conn.execute(SCORE, a, NOW - timedelta(days=8), 40.0)
        await conn.execute(SCORE, a, NOW - timedelta(days=1), 60.0)
        base = await score_repository.last_before(conn, account_ids=[a, b], before=NOW - timedelta(days=7))
        facts = await score_repository.fact_rows(conn, account_ids=[a], since=NOW.date() - timedelta(days=30))
    assert mine == [(a, job, {}), (b, job, {})] and seen_elsewhere == []  # not due yet / claimed under a lock: not seen
    assert half is not None and (half["done"], half["finished_at"]) == (1, None)
    assert done is not None and done["done"] == 2 and done["finished_at"] is not None
    assert base == {a: 40.0}
    assert [r["tier"] for r in facts["accounts"]] == ["gold"] and facts["users"] == []


async def test_current_score_users_milestones_and_retiring_a_scorecard(health_db, run_id) -> None:
    acct, key, card = f"qr-c-{run_id}", f"m-{run_id}", f"c-{run_id}"
    today = NOW.date()
    async with rolled_back(health_db.url, schema="health") as conn:
        await conn.execute(
            """INSERT INTO account_health (account_id, computed_at, value, colour, sufficient, scorecard_id,
                                           scorecard_version, measures, reasons) VALUES ($1, now(), 70, 'green',
                                           true, $2, 2, '[]', '[]')""",
            acct,
            card,
        )
        for day, user in ((0, "a"), (20, "b")):
            await conn.execute("INSERT INTO user_days VALUES ($1, $2, $3, 1)", acct, today - timedelta(days=day), user)
        definition = {"key": key, "name": "M", "event": "E", "threshold": 1, "window_days": 7, "deadline_days": 30}
        await config.insert_milestone(conn, key=key, definition=definition)
        for version in (1, 2):
            await config.insert_scorecard(
                conn, card_id=card, version=version, name="C", definition={}, segments=[], tiers=[], is_default=False
            )
        current = await queries.current(conn, account_id=acct)
        unknown = await queries.current(conn, account_id=f"none-{run_id}")
        users = await queries.users(conn, account_id=acct, active_since=today - timedelta(days=14))
        states = {m["key"]: m["state"] for m in await queries.milestones(conn, account_id=acct)}
        v1 = await config.scorecard_version(conn, card_id=card, version=1)
        await queue_repository.enqueue_scored_by(conn, card_id=card, due_at=NOW)
        scored = await _queued(conn, run_id)
        await config.retire_scorecard(conn, card_id=card)
        retired = await config.latest_scorecard(conn, card_id=card)
        cards = {r["id"]: r["version"] for r in await repository.current_scorecards(conn)}
    assert current is not None and (current["value"], current["colour"]) == (70, "green") and unknown is None
    assert [(u["user_id"], u["status"]) for u in users] == [("a", "active"), ("b", "stopped")]
    assert states[key] == "pending"  # defined, not reached by this account
    assert v1 is not None and v1["version"] == 1 and scored == [acct]
    assert retired is None and cards[card] == 2  # retired: no active version; history kept

"""Health's re-score queue: one row per account waiting for a re-score. Writers queue accounts
(coalesced: a waiting account keeps its due time); a re-score leases due ones with a claim committed
on its own and ends the lease in its own transaction (``release``), so writers never wait for a
re-score in flight. The consumer's rollup queues accounts inside its one statement
(``repository.apply_rollups``) with the same rules. Keyword-only async functions on a connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

# A bulk enqueue (a re-score job, the decay schedule) refreshes the queue's statistics in its own
# transaction: planned while the queue looked empty (autovacuum's analyze lags a burst by up to a
# minute), each claim of a 100,000-account job sorted the whole queue and joined it by nested loop,
# 14 s a claim (auto_explain, issue 26). ANALYZE counts the rows this transaction inserted.
BULK = 5_000


# the coalescing rule of every enqueue: a waiting account keeps its due time and takes a job's id; one
# being re-scored is marked dirty (queued again when that re-score ends)
_UPSERT = """ON CONFLICT (account_id) DO UPDATE SET job_id = coalesce(excluded.job_id, recompute_queue.job_id),
             dirty = recompute_queue.dirty OR recompute_queue.claimed_until IS NOT NULL"""


async def enqueue(
    conn: asyncpg.Connection, *, account_ids: Iterable[str], due_at: datetime, job_id: int | None = None
) -> None:
    """Coalesce: an account already waiting keeps its (earlier) due time; a re-score job claims it;
    one being re-scored is queued again when that re-score ends."""
    ids = sorted(set(account_ids))
    await conn.execute(
        f"INSERT INTO recompute_queue (account_id, due_at, job_id) SELECT unnest($1::text[]), $2, $3 {_UPSERT}",
        ids,
        due_at,
        job_id,
    )
    await _analyzed(conn, len(ids))


async def enqueue_matching(
    conn: asyncpg.Connection,
    *,
    every: bool,
    tiers: Sequence[str] = (),
    segments: Sequence[str] = (),
    lifecycle_stages: Sequence[str] = (),
    due_at: datetime,
    job_id: int | None = None,
) -> int:
    """Queue the accounts a scorecard applies to (in its tiers, segments or lifecycle stages; with
    ``every``, all) inside the database: 300,000 ids never pass through the process (its peak RSS grew
    with them). Returns how many were queued. Rows are taken in key order, the order the re-score's
    release and the consumer's upsert lock them in: in table order, a scorecard change deadlocked with a
    re-score in flight (a 503 in the re-score benchmark)."""
    status = await conn.execute(
        f"""INSERT INTO recompute_queue (account_id, due_at, job_id)
            SELECT account_id, $5, $6 FROM accounts
            WHERE $1 OR tier = ANY($2::text[]) OR segment = ANY($3::text[]) OR lifecycle_stage = ANY($4::text[])
            ORDER BY account_id
            {_UPSERT}""",
        every,
        list(tiers),
        list(segments),
        list(lifecycle_stages),
        due_at,
        job_id,
    )
    return await _analyzed(conn, _rows(status))


async def enqueue_scored_by(conn: asyncpg.Connection, *, card_id: str, due_at: datetime) -> int:
    """Queue the accounts a scorecard scores now (it is being retired)."""
    status = await conn.execute(
        f"""INSERT INTO recompute_queue (account_id, due_at)
            SELECT account_id, $2 FROM account_health WHERE scorecard_id = $1 ORDER BY account_id {_UPSERT}""",
        card_id,
        due_at,
    )
    return await _analyzed(conn, _rows(status))


def _rows(status: str) -> int:
    """The row count of an INSERT's command tag (``INSERT 0 <rows>``)."""
    return int(status.rsplit(" ", 1)[-1])


async def _analyzed(conn: asyncpg.Connection, queued: int) -> int:
    if queued >= BULK:
        await conn.execute("ANALYZE recompute_queue")
    return queued


@dataclass(frozen=True)
class Claim:
    due: list[tuple[str, int | None, dict[str, str]]]  # (account, re-score job, the trace that queued it)
    lease: datetime | None  # the claim's token: the claimed rows' ``claimed_until``


async def claim_due(conn: asyncpg.Connection, *, limit: int, lease: timedelta) -> Claim:
    """Lease due accounts to one re-score; run it on its own (committed at once), so the re-score's
    transaction holds no lock on the queue rows the consumer upserts. The claimed ids are an ARRAY
    (one InitPlan), so the update finds them through the primary key whatever the planner believes
    of the queue's size (a join plan scanned the whole queue, dead rows included, on every claim)."""
    rows = await conn.fetch(
        """WITH due AS (
             SELECT account_id, job_id, trace FROM recompute_queue
             WHERE account_id = ANY(ARRAY(
               SELECT account_id FROM recompute_queue
               WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED))
           )
           UPDATE recompute_queue q SET claimed_until = now() + $2::interval, dirty = false, job_id = NULL
           FROM due WHERE q.account_id = due.account_id
           RETURNING q.account_id, due.job_id, due.trace, q.claimed_until""",
        limit,
        lease,
    )
    return Claim([(r["account_id"], r["job_id"], r["trace"]) for r in rows], rows[0]["claimed_until"] if rows else None)


async def release(conn: asyncpg.Connection, *, accounts: Sequence[str], lease: datetime, next_due: datetime) -> None:
    """End a claim, last thing in the re-score's transaction: rows untouched since the claim leave the
    queue; rows touched meanwhile (dirty) stay, due at ``next_due`` (the throttle window after this
    score). Rows are locked in key order first, the order the consumer's upsert takes them in."""
    ids = sorted(accounts)
    await conn.execute(
        "SELECT 1 FROM recompute_queue WHERE account_id = ANY($1::text[]) AND claimed_until = $2"
        " ORDER BY account_id FOR UPDATE",
        ids,
        lease,
    )
    await conn.execute(
        "DELETE FROM recompute_queue WHERE account_id = ANY($1::text[]) AND claimed_until = $2 AND NOT dirty",
        ids,
        lease,
    )
    await conn.execute(
        """UPDATE recompute_queue SET claimed_until = NULL, dirty = false, due_at = $3
           WHERE account_id = ANY($1::text[]) AND claimed_until = $2""",
        ids,
        lease,
        next_due,
    )


async def unclaim(conn: asyncpg.Connection, *, accounts: Sequence[str], lease: datetime) -> None:
    """A re-score failed: its accounts are due again now, not when the lease runs out."""
    await conn.execute(
        "UPDATE recompute_queue SET claimed_until = NULL WHERE account_id = ANY($1::text[]) AND claimed_until = $2",
        sorted(accounts),
        lease,
    )


async def queue_state(conn: asyncpg.Connection) -> tuple[int, float, float]:
    """(accounts waiting, seconds the longest-waiting has been due, seconds the oldest unfinished
    re-score job has run): what the "re-score stalled" alerts read."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM recompute_queue) AS depth,
                  (SELECT coalesce(extract(epoch FROM now() - min(due_at)), 0) FROM recompute_queue
                    WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now()))::float8 AS overdue_s,
                  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM rescore_jobs
                    WHERE finished_at IS NULL)::float8 AS job_age_s"""
    )
    assert row is not None
    return int(row["depth"]), float(row["overdue_s"]), float(row["job_age_s"])


async def traces(conn: asyncpg.Connection, *, account_ids: Sequence[str]) -> dict[str, Any]:
    """The newest traced cause of each queued account, as committed now: read after a re-score's facts,
    any event whose effect the facts show has its trace here (a newer cause may have replaced it)."""
    rows = await conn.fetch(
        "SELECT account_id, trace FROM recompute_queue WHERE account_id = ANY($1::text[]) AND trace <> '{}'::jsonb",
        list(account_ids),
    )
    return {r["account_id"]: r["trace"] for r in rows}

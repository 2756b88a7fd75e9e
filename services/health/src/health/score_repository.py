"""The re-score side of health's persistence: load queued accounts' facts in bulk,
store scores (history only where they changed) and milestone states, report job progress.
Keyword-only async functions taking a connection; batches are single unnest statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from health.domain.commands import StoredScore


async def fact_rows(
    conn: asyncpg.Connection, *, account_ids: list[str], since: date, until: date | None = None
) -> dict[str, list[Any]]:
    """Everything the measures read, for many accounts at once; ``until``: usage and answers up to that
    day only (a score as it was then)."""
    q = {
        "accounts": "SELECT * FROM accounts WHERE account_id = ANY($1::text[])",
        "users": """SELECT account_id, day, array_agg(user_id) AS users FROM user_days
                    WHERE account_id = ANY($1::text[]) AND day >= $2 AND day <= $3 GROUP BY account_id, day""",
        "events": """SELECT account_id, day, event, events FROM usage_daily
                     WHERE account_id = ANY($1::text[]) AND day >= $2 AND day <= $3""",
        "nps": """SELECT account_id, contact_id, score, answered_at FROM nps_responses
                  WHERE account_id = ANY($1::text[]) AND answered_at::date <= $3""",  # contacts' answers: assessment
        "tickets": """SELECT account_id, status, severity, bug_linked, opened_at FROM tickets
                      WHERE account_id = ANY($1::text[])""",
        "onboarding": "SELECT account_id, aspect FROM onboarding WHERE account_id = ANY($1::text[])",
        "hits": """SELECT account_id, milestone_key, day, user_id, hits FROM milestone_hits
                   WHERE account_id = ANY($1::text[]) AND day <= $3""",
        "value_review": """SELECT DISTINCT ON (account_id) account_id, reviewed_on, outcome FROM value_reviews
                           WHERE account_id = ANY($1::text[]) AND reviewed_on <= $3
                           ORDER BY account_id, reviewed_on DESC, recorded_at DESC""",
        "health": "SELECT * FROM account_health WHERE account_id = ANY($1::text[])",
        "milestones": "SELECT * FROM account_milestones WHERE account_id = ANY($1::text[])",
    }
    out: dict[str, list[Any]] = {}
    last = until or date.max
    for name, sql in q.items():
        args = [account_ids] + ([since] if "$2" in sql else []) + ([last] if "$3" in sql else [])
        if "$3" in sql and "$2" not in sql:
            sql = sql.replace("$3", "$2")
        out[name] = await conn.fetch(sql, *args)
    return out


async def first_scores(conn: asyncpg.Connection, *, account_ids: list[str]) -> dict[str, datetime]:
    """Each account's first stored score: history is rebuilt only before it, never over live scores."""
    rows = await conn.fetch(
        "SELECT account_id, min(computed_at) AS first FROM scores WHERE account_id = ANY($1::text[]) GROUP BY 1",
        account_ids,
    )
    return {r["account_id"]: r["first"] for r in rows}


async def save_history(conn: asyncpg.Connection, *, rows: Sequence[StoredScore]) -> None:
    if rows:
        await _save_history(conn, rows)


async def last_before(conn: asyncpg.Connection, *, account_ids: list[str], before: datetime) -> dict[str, float]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (account_id) account_id, value FROM scores
           WHERE account_id = ANY($1::text[]) AND computed_at <= $2 ORDER BY account_id, computed_at DESC""",
        account_ids,
        before,
    )
    return {r["account_id"]: r["value"] for r in rows}


async def save_scores(conn: asyncpg.Connection, *, rows: Sequence[StoredScore]) -> None:
    """Current health for every row; a history row only where the score changed."""
    if not rows:
        return
    history = [r for r in rows if r.changed]
    if history:
        await _save_history(conn, history)
    await _save_current(conn, rows)


_HISTORY_COLS = (
    "account_id",
    "computed_at",
    "value",
    "colour",
    "sufficient",
    "scorecard_id",
    "scorecard_version",
    "measures",
    "reasons",
)
_CURRENT_COLS = (
    "account_id",
    "value",
    "colour",
    "sufficient",
    "scorecard_id",
    "scorecard_version",
    "measures",
    "reasons",
    "computed_at",
    "trend_7d",
    "trend_30d",
    "emitted_value",
    "emitted_colour",
)


def _columns(rows: Sequence[StoredScore], names: Sequence[str]) -> list[list[Any]]:
    """Column arrays for unnest; JSON values go as text (a list inside a list would read as a 2-D array)."""
    return [
        [orjson.dumps(getattr(r, n)).decode() for r in rows]
        if n in ("measures", "reasons")
        else [getattr(r, n) for r in rows]
        for n in names
    ]


async def _save_history(conn: asyncpg.Connection, rows: Sequence[StoredScore]) -> None:
    """One statement for the whole batch (unnest), not one per row."""
    await conn.execute(
        """INSERT INTO scores (account_id, computed_at, value, colour, sufficient, scorecard_id, scorecard_version,
                               measures, reasons)
           SELECT a, t, v, c, s, i, n, m::jsonb, r::jsonb
           FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::text[], $5::bool[], $6::text[], $7::int[],
                       $8::text[], $9::text[]) AS x(a, t, v, c, s, i, n, m, r)""",
        *_columns(rows, _HISTORY_COLS),
    )


async def _save_current(conn: asyncpg.Connection, rows: Sequence[StoredScore]) -> None:
    await conn.execute(
        """INSERT INTO account_health (account_id, value, colour, sufficient, scorecard_id, scorecard_version,
                                       measures, reasons, computed_at, trend_7d, trend_30d, emitted_value,
                                       emitted_colour)
           SELECT a, v, c, s, i, n, m::jsonb, r::jsonb, t, t7, t30, ev, ec
           FROM unnest($1::text[], $2::float8[], $3::text[], $4::bool[], $5::text[], $6::int[], $7::text[],
                       $8::text[], $9::timestamptz[], $10::float8[], $11::float8[], $12::float8[], $13::text[])
                AS x(a, v, c, s, i, n, m, r, t, t7, t30, ev, ec)
           ON CONFLICT (account_id) DO UPDATE SET value = excluded.value, colour = excluded.colour,
             sufficient = excluded.sufficient, scorecard_id = excluded.scorecard_id,
             scorecard_version = excluded.scorecard_version, measures = excluded.measures,
             reasons = excluded.reasons, computed_at = excluded.computed_at, trend_7d = excluded.trend_7d,
             trend_30d = excluded.trend_30d, emitted_value = excluded.emitted_value,
             emitted_colour = excluded.emitted_colour, recomputes = account_health.recomputes + 1""",
        *_columns(rows, _CURRENT_COLS),
    )


async def save_milestones(
    conn: asyncpg.Connection, *, rows: Sequence[tuple[str, str, str, date | None, int | None]]
) -> None:
    if rows:
        await conn.executemany(
            """INSERT INTO account_milestones (account_id, milestone_key, state, achieved_on, time_to_value_days)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, milestone_key) DO UPDATE
               SET state = excluded.state, achieved_on = excluded.achieved_on,
                   time_to_value_days = excluded.time_to_value_days, updated_at = now()""",
            rows,
        )


async def job_progress(conn: asyncpg.Connection, *, done: dict[int, int]) -> None:
    for job_id, n in done.items():
        await conn.execute(
            """UPDATE rescore_jobs SET done = least(total, done + $2),
                      finished_at = CASE WHEN done + $2 >= total THEN now() ELSE finished_at END
               WHERE id = $1""",
            job_id,
            n,
        )

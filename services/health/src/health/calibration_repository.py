"""What calibration reads and keeps: renewal outcomes (from renewals.v1), each one's score some days
before its renewal date, and the calibrations run. Keyword-only, parameterised."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from bellwether_shared.documents import Document


async def record_outcome(
    conn: asyncpg.Connection,
    *,
    opportunity_id: str,
    account_id: str,
    renewal_date: date,
    outcome: str,
    arr: float | None,
    closed_at: datetime,
) -> None:
    """Latest close wins (a renewal reopened and closed again); a redelivery changes nothing."""
    await conn.execute(
        """INSERT INTO renewal_outcomes VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (opportunity_id) DO UPDATE SET renewal_date = excluded.renewal_date,
             outcome = excluded.outcome, arr = excluded.arr, closed_at = excluded.closed_at
           WHERE excluded.closed_at >= renewal_outcomes.closed_at""",
        opportunity_id,
        account_id,
        renewal_date,
        outcome,
        arr,
        closed_at,
    )


async def samples(conn: asyncpg.Connection, *, card_id: str, days_before: int, limit: int) -> list[asyncpg.Record]:
    """Each closed renewal with the account's latest score by this card at least ``days_before`` days
    before the renewal date (``measures`` None: none that early)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT o.opportunity_id, o.account_id, o.renewal_date, o.outcome, s.measures, s.computed_at
           FROM renewal_outcomes o
           LEFT JOIN LATERAL (
             SELECT measures, computed_at FROM scores
             WHERE account_id = o.account_id AND scorecard_id = $1
               AND computed_at <= o.renewal_date - make_interval(days => $2)
             ORDER BY computed_at DESC LIMIT 1) s ON true
           ORDER BY o.renewal_date DESC, o.opportunity_id LIMIT $3""",
        card_id,
        days_before,
        limit,
    )
    return rows


async def save(
    conn: asyncpg.Connection, *, card_id: str, card_version: int, params: Document, result: Document
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        "INSERT INTO calibrations (card_id, card_version, params, result) VALUES ($1, $2, $3, $4) RETURNING *",
        card_id,
        card_version,
        params,
        result,
    )
    return row


async def get(conn: asyncpg.Connection, *, card_id: str, calibration_id: int, lock: bool = False) -> Any:
    return await conn.fetchrow(
        "SELECT * FROM calibrations WHERE card_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
        card_id,
        calibration_id,
    )


async def recent(conn: asyncpg.Connection, *, card_id: str, limit: int, offset: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM calibrations WHERE card_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", card_id, limit, offset
    )
    return rows


async def mark_applied(conn: asyncpg.Connection, *, calibration_id: int, version: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE calibrations SET applied_version = $2, applied_at = $3 WHERE id = $1", calibration_id, version, at
    )

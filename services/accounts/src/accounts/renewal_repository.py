"""The account view's renewals: contracts, renewal opportunities and rejected deals, latest-wins by the
time the event carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.dates import as_date, as_time


async def upsert_contract(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        """INSERT INTO contracts VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, contract_id) DO UPDATE
           SET start_date = excluded.start_date, end_date = excluded.end_date, arr = excluded.arr,
               products = excluded.products, changed_at = excluded.changed_at
           WHERE excluded.changed_at >= contracts.changed_at""",
        p["account_id"],
        p["contract_id"],
        as_date(p["start_date"]),
        as_date(p["end_date"]),
        p["arr"],
        list(p.get("products") or []),
        at,
    )


async def upsert_renewal(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    """An opportunity, its risk and outcome: each event fills what it knows (latest wins per field set)."""
    reasons = p.get("reasons")  # None: this event says nothing about the risk's reasons
    await conn.execute(
        """INSERT INTO renewals (account_id, opportunity_id, kind, renewal_date, arr, owner_id, at_risk, risk_level,
                                 risk_points, risk_reasons, outcome, changed_at, contract_id, arr_change, closed_at,
                                 close_reason)
           VALUES ($1, $2, coalesce($3::text, 'renewal'), $4, $5, $6, coalesce($7::bool, false), $8, $9,
                   coalesce($10::jsonb, '[]'), $11, $12, $13, $14, $15, $16)
           ON CONFLICT (account_id, opportunity_id) DO UPDATE SET
             kind = coalesce($3::text, renewals.kind),
             renewal_date = coalesce(excluded.renewal_date, renewals.renewal_date),
             arr = coalesce(excluded.arr, renewals.arr), owner_id = coalesce(excluded.owner_id, renewals.owner_id),
             at_risk = CASE WHEN $7::bool IS NULL THEN renewals.at_risk ELSE excluded.at_risk END,
             risk_level = coalesce(excluded.risk_level, renewals.risk_level),
             risk_points = coalesce(excluded.risk_points, renewals.risk_points),
             risk_reasons = CASE WHEN $10::jsonb IS NULL THEN renewals.risk_reasons ELSE excluded.risk_reasons END,
             outcome = coalesce(excluded.outcome, renewals.outcome), changed_at = greatest(renewals.changed_at, $12),
             contract_id = coalesce(excluded.contract_id, renewals.contract_id),
             arr_change = coalesce(excluded.arr_change, renewals.arr_change),
             closed_at = coalesce(excluded.closed_at, renewals.closed_at),
             close_reason = coalesce(excluded.close_reason, renewals.close_reason)
           WHERE $12 >= renewals.changed_at OR $11::text IS NOT NULL""",
        p["account_id"],
        p["opportunity_id"],
        p.get("kind"),
        as_date(p.get("renewal_date")),
        p.get("arr"),
        p.get("owner_id"),
        p.get("at_risk"),
        p.get("level"),
        p.get("points"),
        reasons,
        p.get("outcome"),
        at,
        p.get("contract_id"),
        p.get("arr_change"),
        as_time(p.get("closed_at")),
        p.get("reason"),
    )


async def deal_rejected(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute("UPDATE accounts SET deal_rejected = true WHERE account_id = $1", p["account_id"])

"""Contracts, opportunities and ownership history: keyword-only async functions taking a connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import orjson

from renewals.domain.commands import NewOpportunity

OPP_COLUMNS = """opportunity_id, account_id, contract_id, kind, growth_type, renewal_date, arr, stage, outcome,
    arr_change, closed_at, colour_at_close, owner_id, owner_role, owner_reason, owner_manual, risk_points,
    risk_level, at_risk, risk_reasons, last_window, risk_assessed_at, created_at, updated_at, close_reason,
    close_note, source, signal_reasons"""


async def insert_opportunity(conn: asyncpg.Connection, *, o: NewOpportunity) -> asyncpg.Record | None:
    """None when this contract already has its renewal opportunity."""
    return await conn.fetchrow(
        f"""INSERT INTO opportunities (opportunity_id, account_id, contract_id, kind, growth_type, renewal_date, arr,
                                       owner_id, owner_role, owner_reason, source, signal_reasons)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING
            RETURNING {OPP_COLUMNS}""",
        o.opportunity_id,
        o.account_id,
        o.contract_id,
        o.kind,
        o.growth_type,
        o.renewal_date,
        o.arr,
        o.owner.owner_id,
        o.owner.role.value,
        o.owner.reason,
        o.source,
        list(o.signal_reasons),
    )


async def open_expansion_from(conn: asyncpg.Connection, *, account_id: str, source: str) -> str | None:
    """The account's open expansion that ``source`` opened, if any (one at a time)."""
    found: str | None = await conn.fetchval(
        """SELECT opportunity_id FROM opportunities WHERE account_id = $1 AND kind = 'expansion' AND source = $2
             AND stage <> 'closed' LIMIT 1""",
        account_id,
        source,
    )
    return found


async def get_opportunity(
    conn: asyncpg.Connection, *, opportunity_id: str, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(
        f"SELECT {OPP_COLUMNS} FROM opportunities WHERE opportunity_id = $1{suffix}", opportunity_id
    )


async def open_opportunities(conn: asyncpg.Connection, *, account_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {OPP_COLUMNS} FROM opportunities WHERE account_id = $1 AND stage <> 'closed'
            ORDER BY opportunity_id FOR UPDATE""",
        account_id,
    )
    return rows


async def list_opportunities(
    conn: asyncpg.Connection,
    *,
    kind: str | None,
    stage: str | None,
    at_risk: bool | None,
    owner_id: str | None,
    account_id: str | None,
    renewing_before: date | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {OPP_COLUMNS} FROM opportunities
            WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR stage = $2)
              AND ($3::boolean IS NULL OR at_risk = $3) AND ($4::text IS NULL OR owner_id = $4)
              AND ($5::text IS NULL OR account_id = $5) AND ($6::date IS NULL OR renewal_date < $6)
            ORDER BY renewal_date NULLS LAST, opportunity_id LIMIT $7 OFFSET $8""",
        kind,
        stage,
        at_risk,
        owner_id,
        account_id,
        renewing_before,
        limit,
        offset,
    )
    return rows


async def set_owner(
    conn: asyncpg.Connection, *, opportunity_id: str, owner_id: str | None, role: str, reason: str, manual: bool
) -> None:
    await conn.execute(
        """UPDATE opportunities
           SET owner_id = $2, owner_role = $3, owner_reason = $4, owner_manual = $5, updated_at = now()
           WHERE opportunity_id = $1""",
        opportunity_id,
        owner_id,
        role,
        reason,
        manual,
    )


async def add_ownership_history(
    conn: asyncpg.Connection,
    *,
    account_id: str,
    opportunity_id: str | None,
    role: str,
    old: str | None,
    new: str | None,
    reason: str,
    actor: str,
) -> None:
    await conn.execute(
        """INSERT INTO ownership_history (account_id, opportunity_id, role, old_owner_id, new_owner_id, reason, actor)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        account_id,
        opportunity_id,
        role,
        old,
        new,
        reason,
        actor,
    )


async def ownership_history(conn: asyncpg.Connection, *, opportunity_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT role, old_owner_id, new_owner_id, reason, actor, changed_at FROM ownership_history
           WHERE opportunity_id = $1 ORDER BY id""",
        opportunity_id,
    )
    return rows


async def set_stage(conn: asyncpg.Connection, *, opportunity_id: str, stage: str) -> None:
    await conn.execute(
        "UPDATE opportunities SET stage = $2, updated_at = now() WHERE opportunity_id = $1", opportunity_id, stage
    )


async def close(
    conn: asyncpg.Connection,
    *,
    opportunity_id: str,
    outcome: str,
    arr_change: float,
    colour: str | None,
    reason: str | None = None,
    note: str | None = None,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""UPDATE opportunities SET stage = 'closed', outcome = $2, arr_change = $3, closed_at = now(),
              colour_at_close = $4, at_risk = false, updated_at = now(), close_reason = $5, close_note = $6
            WHERE opportunity_id = $1 RETURNING {OPP_COLUMNS}""",
        opportunity_id,
        outcome,
        arr_change,
        colour,
        reason,
        note,
    )
    return row


async def risk_inputs(
    conn: asyncpg.Connection,
    *,
    account_ids: Sequence[str] | None,
    trend_since: Any,
    after: str,
    limit: int,
    departed_since: Any,
) -> list[asyncpg.Record]:
    """Open renewals with everything their risk depends on, in opportunity id order (keyset pages).
    Two statement shapes, so each gets its own plan: by account (index on open opportunities per
    account) or all of them (the sweep). A champion's departure counts from ``departed_since`` on
    (bellwether_shared.champions); only key milestones count as missed."""
    which = "o.account_id = ANY($1::text[])" if account_ids is not None else "$1::text[] IS NULL"
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT o.opportunity_id, o.account_id, o.renewal_date, o.arr, o.owner_id, o.owner_role, o.at_risk,
                  o.last_window, o.risk_points, o.risk_level, o.risk_reasons, o.escalated_at, a.tier,
                  a.health_colour, a.health_score, a.health_usage_data, a.exposure, c.discount_pct, a.healthy_champions,
                  c.temporary_discount_label, c.temporary_discount_expires_on,
                  coalesce((SELECT max(p.severity) FROM problems p WHERE p.account_id = o.account_id),
                           (SELECT (r.answers->>'problem_severity')::int FROM handoff_reviews r
                            WHERE r.deal_id = coalesce(c.origin_deal_id, c.deal_id))) AS problem_severity,
                  (SELECT h.value FROM health_history h WHERE h.account_id = o.account_id AND h.computed_at <= $2
                   ORDER BY h.computed_at DESC LIMIT 1) AS score_before,
                  (EXISTS (SELECT 1 FROM contacts x WHERE x.account_id = o.account_id AND x.is_champion AND x.departed
                           AND x.occurred_at >= $5)
                   AND NOT EXISTS (SELECT 1 FROM contacts x WHERE x.account_id = o.account_id AND x.is_champion
                                   AND NOT x.departed)) AS champion_departed,
                  (SELECT count(*) FROM missed_milestones m WHERE m.account_id = o.account_id AND m.is_key) AS missed,
                  (SELECT ARRAY[v.outcome, v.reviewed_on::text] FROM value_reviews v
                   WHERE v.account_id = o.account_id ORDER BY v.reviewed_on DESC, v.recorded_at DESC LIMIT 1)
                    AS value_review,
                  (SELECT count(*) FROM tickets t WHERE t.account_id = o.account_id AND t.status <> 'closed'
                     AND t.severity IN ('high', 'urgent')) AS severe,
                  coalesce((SELECT array_agg(f->>'criterion') FROM handoff_reviews r, jsonb_array_elements(r.flags) f
                            WHERE r.deal_id = coalesce(c.origin_deal_id, c.deal_id)), '{{}}') AS flags
           FROM opportunities o
           LEFT JOIN accounts a ON a.account_id = o.account_id
           LEFT JOIN contracts c ON c.contract_id = o.contract_id
           WHERE o.kind = 'renewal' AND o.stage <> 'closed' AND {which}
             AND o.opportunity_id > $3
           ORDER BY o.opportunity_id LIMIT $4
           FOR UPDATE OF o""",
        account_ids,
        trend_since,
        after,
        limit,
        departed_since,
    )
    return rows


async def save_risk(
    conn: asyncpg.Connection, *, rows: Sequence[tuple[str, float, str, bool, int | None, list[Any], bool]], at: Any
) -> None:
    """The assessments; the first time each renewal was at risk and when it escalated are kept (the
    late-risk report reads them)."""
    if not rows:
        return
    ids, points, levels, at_risk, windows, reasons, escalated = (list(c) for c in zip(*rows, strict=True))
    await conn.execute(
        """UPDATE opportunities o SET risk_points = u.points, risk_level = u.level, at_risk = u.at_risk,
             last_window = u.win, risk_reasons = u.reasons::jsonb, risk_assessed_at = now(), updated_at = now(),
             first_at_risk_at = CASE WHEN u.at_risk THEN coalesce(o.first_at_risk_at, $8) ELSE o.first_at_risk_at END,
             escalated_at = CASE WHEN u.escalated THEN coalesce(o.escalated_at, $8) ELSE o.escalated_at END
           FROM unnest($1::text[], $2::float8[], $3::text[], $4::bool[], $5::int[], $6::text[], $7::bool[])
             AS u(id, points, level, at_risk, win, reasons, escalated)
           WHERE o.opportunity_id = u.id""",
        ids,
        points,
        levels,
        at_risk,
        windows,
        [orjson.dumps(r).decode() for r in reasons],  # a JSON list inside an array parameter reads as a dimension
        escalated,
        at,
    )

"""Tracking-plan violations, counted per source, event, kind and field (keyword-only, parameterised)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg


async def count_violations(
    conn: asyncpg.Connection, *, source_id: str, at: datetime, seen: Sequence[tuple[str, str, str, str, str]]
) -> None:
    """``seen``: (event, kind, field, reason, message id) per violation; counted up in one statement."""
    if not seen:
        return
    totals: dict[tuple[str, str, str], list[Any]] = {}
    for event, kind, field, reason, message_id in seen:
        entry = totals.setdefault((event, kind, field), [0, reason, message_id])
        entry[0] += 1
        entry[1:] = [reason, message_id]
    keys = sorted(totals)  # one order for every writer: concurrent batches never deadlock
    await conn.execute(
        """INSERT INTO plan_violations AS v (source_id, event, kind, field, count, first_seen, last_seen, last_reason,
                                             last_message_id)
           SELECT $1, e, k, f, n, $2, $2, r, m
             FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[])
                  AS t(e, k, f, n, r, m)
           ON CONFLICT (source_id, event, kind, field) DO UPDATE SET
             count = v.count + excluded.count, last_seen = greatest(v.last_seen, excluded.last_seen),
             last_reason = excluded.last_reason, last_message_id = excluded.last_message_id""",
        source_id,
        at,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [totals[k][0] for k in keys],
        [totals[k][1] for k in keys],
        [totals[k][2] for k in keys],
    )


async def list_violations(
    conn: asyncpg.Connection, *, source_id: str, event: str | None = None, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT event, kind, field, count, first_seen, last_seen, last_reason, last_message_id
             FROM plan_violations WHERE source_id = $1 AND ($2::text IS NULL OR event = $2)
            ORDER BY count DESC, event, kind, field LIMIT $3 OFFSET $4""",
        source_id,
        event,
        limit,
        offset,
    )
    return [dict(r) for r in rows]

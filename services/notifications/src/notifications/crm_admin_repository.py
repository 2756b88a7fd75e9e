"""CRM destinations as the admin API manages them, and what each has written or failed to write.
Keyword-only async functions taking a connection; SQL is parameterised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg

from notifications.crm_repository import DEST_COLUMNS


async def create(
    conn: asyncpg.Connection,
    *,
    destination_id: str,
    name: str,
    kind: str,
    base_url: str,
    token_sealed: str,
    fields: Mapping[str, str],
    api_version: str | None,
    coalesce_s: float,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO crm_destinations (destination_id, name, kind, base_url, token_sealed, fields, api_version,
              coalesce_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {DEST_COLUMNS}""",
        destination_id,
        name,
        kind,
        base_url,
        token_sealed,
        dict(fields),
        api_version,
        coalesce_s,
    )
    return row


async def get(conn: asyncpg.Connection, *, destination_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {DEST_COLUMNS} FROM crm_destinations WHERE destination_id = $1", destination_id
    )
    return row


async def listed(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(f"SELECT {DEST_COLUMNS} FROM crm_destinations ORDER BY created_at")
    return rows


@dataclass(frozen=True, slots=True)
class DestinationChange:
    """What an admin changes of a destination (None: unchanged)."""

    name: str | None = None
    base_url: str | None = None
    token_sealed: str | None = None
    fields: Mapping[str, str] | None = None
    api_version: str | None = None
    coalesce_s: float | None = None
    enabled: bool | None = None


async def update(conn: asyncpg.Connection, *, destination_id: str, change: DestinationChange) -> asyncpg.Record | None:
    """A new token lifts a pause (the vendor refused the old one, or its limit was the old app's)."""
    changes = {k: v for k, v in asdict(change).items() if v is not None}
    cols = list(changes)
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
    extra = ", paused_until = NULL, pause_reason = NULL" if "token_sealed" in changes else ""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"""UPDATE crm_destinations SET {sets}{"," if sets else ""} updated_at = now(){extra}
            WHERE destination_id = $1 RETURNING {DEST_COLUMNS}""",
        destination_id,
        *[dict(v) if isinstance(v, Mapping) else v for v in changes.values()],
    )
    return row


async def delete(conn: asyncpg.Connection, *, destination_id: str) -> bool:
    status = await conn.execute("DELETE FROM crm_destinations WHERE destination_id = $1", destination_id)
    return bool(status.endswith(" 1"))


async def counts(conn: asyncpg.Connection, *, destination_id: str) -> dict[str, Any]:
    """Writes per state, how many wait and the oldest wait, and the accounts with no record id there."""
    rows = await conn.fetch(
        "SELECT state, count(*) AS n FROM crm_sync WHERE destination_id = $1 GROUP BY state", destination_id
    )
    waiting = await conn.fetchrow(
        "SELECT count(*) AS n, min(due_at) AS oldest FROM crm_sync WHERE destination_id = $1 AND dirty", destination_id
    )
    unmapped = await conn.fetchval(
        """SELECT count(*) FROM accounts a JOIN crm_destinations d ON d.destination_id = $1
           WHERE NOT EXISTS (SELECT 1 FROM crm_records r WHERE r.account_id = a.account_id AND r.system = d.kind)""",
        destination_id,
    )
    by_state = {r["state"]: r["n"] for r in rows} | ({"unmapped": unmapped} if unmapped else {})
    return {"by_state": by_state, "waiting": waiting["n"], "oldest_due_at": waiting["oldest"]}


async def records(
    conn: asyncpg.Connection, *, destination_id: str, state: str | None, account_id: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Per account: its record id, state, the values last written, the last status and error; ``unmapped``
    lists the accounts the projection knows with no record id in this CRM."""
    if state == "unmapped":
        rows: list[asyncpg.Record] = await conn.fetch(
            """SELECT a.account_id, NULL::text AS record_id, 'unmapped' AS state, false AS dirty,
                      NULL::timestamptz AS due_at, '{}'::jsonb AS sent, 0 AS attempts, NULL::int AS last_status,
                      'no record id in this CRM (account.upserted crm_ids, or PUT /v1/crm/accounts/{id}/records)'
                        AS last_error, NULL::timestamptz AS last_attempt_at, NULL::timestamptz AS synced_at
               FROM accounts a JOIN crm_destinations d ON d.destination_id = $1
               WHERE NOT EXISTS (SELECT 1 FROM crm_records r WHERE r.account_id = a.account_id AND r.system = d.kind)
                 AND ($2::text IS NULL OR a.account_id = $2)
               ORDER BY a.account_id LIMIT $3 OFFSET $4""",
            destination_id,
            account_id,
            limit,
            offset,
        )
        return rows
    rows = await conn.fetch(
        """SELECT s.account_id, r.record_id, s.state, s.dirty, s.due_at, s.sent, s.attempts, s.last_status,
                  s.last_error, s.last_attempt_at, s.synced_at
           FROM crm_sync s
           JOIN crm_destinations d ON d.destination_id = s.destination_id
           LEFT JOIN crm_records r ON r.account_id = s.account_id AND r.system = d.kind
           WHERE s.destination_id = $1 AND ($2::text IS NULL OR s.state = $2)
             AND ($3::text IS NULL OR s.account_id = $3)
           ORDER BY s.last_attempt_at DESC NULLS LAST, s.account_id LIMIT $4 OFFSET $5""",
        destination_id,
        state,
        account_id,
        limit,
        offset,
    )
    return rows


async def resync(
    conn: asyncpg.Connection, *, destination_id: str, account_ids: Sequence[str] | None, forget: bool, now: datetime
) -> int:
    """Write these accounts (every account with a record id in this CRM when None) now; ``forget``: send
    every value again, not only what differs from the last acknowledged."""
    status = await conn.execute(
        """INSERT INTO crm_sync (destination_id, account_id, due_at)
           SELECT $1, r.account_id, $4 FROM crm_records r
           JOIN crm_destinations d ON d.destination_id = $1 AND r.system = d.kind
           WHERE $2::text[] IS NULL OR r.account_id = ANY($2::text[])
           ORDER BY r.account_id
           ON CONFLICT (destination_id, account_id) DO UPDATE SET
             dirty = true, version = crm_sync.version + 1, due_at = $4, attempts = 0,
             sent = CASE WHEN $3 THEN '{}'::jsonb ELSE crm_sync.sent END""",
        destination_id,
        list(account_ids) if account_ids is not None else None,
        forget,
        now,
    )
    return int(status.split()[-1])

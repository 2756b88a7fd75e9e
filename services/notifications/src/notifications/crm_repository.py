"""CRM write-back persistence: destinations, the accounts' CRM record ids, and one pending-write row per
destination and account (``crm_sync``) that coalesces every change of the account. Keyword-only async
functions taking a connection; SQL is parameterised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from notifications.domain import crm, tasks as td

DEST_COLUMNS = """destination_id, name, kind, base_url, token_sealed, fields, api_version, coalesce_s, enabled,
    paused_until, pause_reason, created_at, updated_at"""


async def mark(conn: asyncpg.Connection, *, account_ids: Sequence[str], now: datetime) -> None:
    """The accounts changed: each enabled destination that has their record writes them once its
    ``coalesce_s`` has passed since the first change not yet written (later changes join that write; a
    row backing off keeps its time). An account without a record id in a CRM is queued when it gets one."""
    if not account_ids:
        return
    await conn.execute(
        """INSERT INTO crm_sync (destination_id, account_id, due_at)
           SELECT d.destination_id, a, $2::timestamptz + make_interval(secs => d.coalesce_s)
           FROM crm_destinations d, unnest($1::text[]) a
           WHERE d.enabled AND EXISTS (SELECT 1 FROM crm_records r WHERE r.account_id = a AND r.system = d.kind)
           ORDER BY 1, 2
           ON CONFLICT (destination_id, account_id) DO UPDATE SET
             version = crm_sync.version + 1,
             due_at = CASE WHEN crm_sync.dirty THEN crm_sync.due_at ELSE excluded.due_at END,
             dirty = true""",
        sorted(set(account_ids)),
        now,
    )


async def set_records(conn: asyncpg.Connection, *, account_id: str, ids: Mapping[str, str]) -> bool:
    """The account's record id per CRM; true when one changed."""
    changed = False
    for system, record_id in ids.items():
        status = await conn.execute(
            """INSERT INTO crm_records (account_id, system, record_id) VALUES ($1, $2, $3)
               ON CONFLICT (account_id, system) DO UPDATE SET record_id = excluded.record_id, updated_at = now()
               WHERE crm_records.record_id IS DISTINCT FROM excluded.record_id""",
            account_id,
            system,
            record_id,
        )
        changed = changed or status.endswith(" 1")
    return changed


async def records_of(conn: asyncpg.Connection, *, account_id: str) -> dict[str, str]:
    rows = await conn.fetch("SELECT system, record_id FROM crm_records WHERE account_id = $1", account_id)
    return {r["system"]: r["record_id"] for r in rows}


async def standings(
    conn: asyncpg.Connection, *, account_ids: Sequence[str], system: str
) -> dict[str, tuple[crm.Standing, str | None]]:
    """Each account as the projection knows it, with its record id in ``system`` (None: not known)."""
    rows = await conn.fetch(
        """SELECT x.account_id, CASE WHEN a.score_sufficient IS FALSE THEN NULL ELSE a.score END AS score,
                  a.colour, a.score_trend, a.risk_level, a.risk_reasons, r.record_id,
                  (SELECT count(*) FROM tasks t WHERE t.account_id = x.account_id AND t.status = ANY($3::text[]))
                    AS open_tasks
           FROM unnest($1::text[]) AS x(account_id)
           LEFT JOIN accounts a ON a.account_id = x.account_id
           LEFT JOIN crm_records r ON r.account_id = x.account_id AND r.system = $2""",
        list(account_ids),
        system,
        list(td.OPEN),
    )
    out: dict[str, tuple[crm.Standing, str | None]] = {}
    for r in rows:
        reasons = tuple((float(x["points"]), str(x["text"])) for x in r["risk_reasons"] or [])
        standing = crm.Standing(
            r["score"], r["colour"], r["score_trend"], r["risk_level"], reasons, int(r["open_tasks"])
        )
        out[r["account_id"]] = (standing, r["record_id"])
    return out


# ----------------------------------------------------------------------------- the pending writes


async def claim(
    conn: asyncpg.Connection, *, destination_id: str, now: datetime, limit: int, lease_s: float
) -> list[asyncpg.Record]:
    """Up to ``limit`` due writes of a destination, leased (another process skips them meanwhile)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """UPDATE crm_sync s SET due_at = $2::timestamptz + make_interval(secs => $4), leased_until = $2::timestamptz
             + make_interval(secs => $4)
           FROM (SELECT account_id FROM crm_sync WHERE destination_id = $1 AND dirty AND due_at <= $2
                 ORDER BY due_at, account_id LIMIT $3 FOR UPDATE SKIP LOCKED) due
           WHERE s.destination_id = $1 AND s.account_id = due.account_id
           RETURNING s.account_id, s.version, s.sent, s.attempts""",
        destination_id,
        now,
        limit,
        lease_s,
    )
    return rows


@dataclass(frozen=True)
class Settled:
    """The outcome of one claimed write (see ``settle``)."""

    account_id: str
    version: int
    state: str  # synced, retrying, failed, unmapped
    sent: Mapping[str, crm.Value] | None = None
    retry_at: datetime | None = None
    status: int | None = None
    error: str | None = None


async def settle(
    conn: asyncpg.Connection, *, destination_id: str, now: datetime, coalesce_s: float, outcomes: Sequence[Settled]
) -> None:
    """The outcomes of one claimed batch, in one pipelined statement. A change that arrived meanwhile (a
    newer version) keeps the row dirty, due after the coalescing window; a retry keeps it dirty, due at
    its ``retry_at``."""
    await conn.executemany(
        """UPDATE crm_sync SET
             state = $4::text,
             sent = sent || $5::jsonb,
             dirty = ($4::text = 'retrying') OR version <> $3,
             due_at = CASE WHEN $4::text = 'retrying' THEN $6::timestamptz
                           ELSE $7::timestamptz + make_interval(secs => $10) END,
             attempts = CASE WHEN $4::text = 'retrying' THEN attempts + 1 ELSE 0 END,
             leased_until = NULL,
             last_status = coalesce($8::integer, last_status),
             last_error = $9::text,
             last_attempt_at = CASE WHEN $8::integer IS NULL AND $9::text IS NULL AND $4::text <> 'retrying'
                                    THEN last_attempt_at ELSE $7::timestamptz END,
             synced_at = CASE WHEN $4::text = 'synced' THEN $7::timestamptz ELSE synced_at END
           WHERE destination_id = $1 AND account_id = $2""",
        [
            (
                destination_id,
                o.account_id,
                o.version,
                o.state,
                dict(o.sent or {}),
                o.retry_at or now,
                now,
                o.status,
                o.error,
                coalesce_s,
            )
            for o in outcomes
        ],
    )


async def pause(conn: asyncpg.Connection, *, destination_id: str, until: datetime, reason: str) -> None:
    await conn.execute(
        "UPDATE crm_destinations SET paused_until = $2, pause_reason = $3 WHERE destination_id = $1",
        destination_id,
        until,
        reason,
    )


async def due_destinations(conn: asyncpg.Connection, *, now: datetime) -> list[asyncpg.Record]:
    """Enabled destinations not paused by a rate limit that have a write due."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {DEST_COLUMNS} FROM crm_destinations d
            WHERE enabled AND (paused_until IS NULL OR paused_until <= $1)
              AND EXISTS (SELECT 1 FROM crm_sync s WHERE s.destination_id = d.destination_id AND s.dirty
                          AND s.due_at <= $1)
            ORDER BY destination_id""",
        now,
    )
    return rows

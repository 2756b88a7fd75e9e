"""Playbooks and tasks: keyword-only async functions on a connection (SQL only here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from bellwether_shared.documents import Document
from notifications import crm_repository
from notifications.domain import tasks as td
from notifications.schemas import PlaybookIn

TASK_COLUMNS = """task_id, account_id, playbook_id, playbook_version, rule_id, title, owner_id, owner_role, priority,
    status, due_at, snoozed_until, outcome, reason, steps, why, triggers, notes, overdue_alerted, opened_at,
    updated_at, closed_at"""


def playbook_of(row: Any) -> td.Playbook:
    return td.Playbook(
        row["playbook_id"],
        row["version"],
        row["name"],
        row["due_days"],
        tuple(
            td.Step(
                s["title"], s.get("description", ""), int(s.get("due_days", 0)), s.get("role", "csm"), s.get("exposure")
            )
            for s in row["steps"]
        ),
        tuple(row["segments"] or ()),
    )


async def current_playbook(conn: asyncpg.Connection, *, playbook_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM playbooks WHERE playbook_id = $1 AND active ORDER BY version DESC LIMIT 1", playbook_id
    )


async def playbooks(conn: asyncpg.Connection, *, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (playbook_id) * FROM playbooks WHERE active ORDER BY playbook_id, version DESC
           LIMIT $1 OFFSET $2""",
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def playbook_versions(conn: asyncpg.Connection, *, playbook_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM playbooks WHERE playbook_id = $1 ORDER BY version DESC", playbook_id)
    return [dict(r) for r in rows]


async def put_playbook(conn: asyncpg.Connection, *, playbook_id: str, playbook: PlaybookIn) -> dict[str, Any]:
    """A new version (versions are never edited)."""
    row = await conn.fetchrow(
        """INSERT INTO playbooks (playbook_id, version, name, description, due_days, steps, segments)
           SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6 FROM playbooks WHERE playbook_id = $1
           RETURNING *""",
        playbook_id,
        playbook.name,
        playbook.description,
        playbook.due_days,
        [step.model_dump() for step in playbook.steps],
        playbook.segments,
    )
    return dict(row)


async def retire_playbook(conn: asyncpg.Connection, *, playbook_id: str) -> bool:
    status: str = await conn.execute(
        "UPDATE playbooks SET active = false WHERE playbook_id = $1 AND active", playbook_id
    )
    return not status.endswith(" 0")


async def open_task(
    conn: asyncpg.Connection, *, account_id: str, playbook_id: str, lock: bool = True
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(
        f"""SELECT {TASK_COLUMNS} FROM tasks WHERE account_id = $1 AND playbook_id = $2
            AND status IN ('open', 'in_progress', 'snoozed'){suffix}""",
        account_id,
        playbook_id,
    )


async def recent_for_owner(
    conn: asyncpg.Connection, *, account_id: str, owner_id: str | None, since: datetime
) -> asyncpg.Record | None:
    """The owner's open task about the account opened (or triggered) since ``since``, any playbook:
    a task another consequence of the same cause opened a moment ago."""
    return await conn.fetchrow(
        f"""SELECT {TASK_COLUMNS} FROM tasks WHERE account_id = $1 AND owner_id IS NOT DISTINCT FROM $2
            AND status IN ('open', 'in_progress', 'snoozed') AND updated_at >= $3
            ORDER BY opened_at DESC LIMIT 1 FOR UPDATE""",
        account_id,
        owner_id,
        since,
    )


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task as opened: of a playbook's version, for an owner, its steps due from ``opened_at``."""

    task_id: str
    account_id: str
    playbook_id: str
    playbook_version: int
    rule_id: str | None
    title: str
    owner_id: str | None
    owner_role: str | None
    priority: str
    due_at: datetime
    steps: list[dict[str, Any]]
    why: str
    opened_at: datetime


async def insert_task(conn: asyncpg.Connection, *, t: NewTask) -> asyncpg.Record | None:
    """None when another open task of this account and playbook won the race (the unique index)."""
    return await conn.fetchrow(
        f"""INSERT INTO tasks (task_id, account_id, playbook_id, playbook_version, rule_id, title, owner_id,
                               owner_role, priority, status, due_at, steps, why, opened_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13, $13)
            ON CONFLICT DO NOTHING RETURNING {TASK_COLUMNS}""",
        t.task_id,
        t.account_id,
        t.playbook_id,
        t.playbook_version,
        t.rule_id,
        t.title,
        t.owner_id,
        t.owner_role,
        t.priority,
        t.due_at,
        t.steps,
        t.why,
        t.opened_at,
    )


async def retrigger(
    conn: asyncpg.Connection, *, task_id: str, note: Document, priority: str, at: datetime
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""UPDATE tasks SET triggers = triggers + 1, notes = notes || $2::jsonb, priority = $3, updated_at = $4
            WHERE task_id = $1 RETURNING {TASK_COLUMNS}""",
        task_id,
        [note],
        priority,
        at,
    )
    return row


async def get_task(conn: asyncpg.Connection, *, task_id: str, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {TASK_COLUMNS} FROM tasks WHERE task_id = $1{suffix}", task_id)


async def apply_change(
    conn: asyncpg.Connection, *, task_id: str, change: td.Change, at: datetime, note: Document | None
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""UPDATE tasks SET status = $2::text, snoozed_until = $3::timestamptz, outcome = coalesce($4::text, outcome),
              reason = coalesce($5::text, reason), closed_at = CASE WHEN $6::bool THEN $7::timestamptz END,
              updated_at = $7::timestamptz,
              notes = CASE WHEN $8::jsonb IS NULL THEN notes ELSE notes || $8::jsonb END,
              overdue_alerted = CASE WHEN $2::text = 'open' THEN false ELSE overdue_alerted END
            WHERE task_id = $1 RETURNING {TASK_COLUMNS}""",
        task_id,
        change.status,
        change.snoozed_until,
        change.outcome,
        change.reason,
        change.closed,
        at,
        [note] if note else None,
    )
    return row


async def audit(
    conn: asyncpg.Connection, *, task_id: str, at: datetime, actor: str, action: str, details: Document
) -> None:
    await conn.execute(
        "INSERT INTO task_audit (task_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)",
        task_id,
        at,
        actor,
        action,
        details,
    )


async def history(conn: asyncpg.Connection, *, task_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT at, actor, action, details FROM task_audit WHERE task_id = $1 ORDER BY id", task_id)
    return [dict(r) for r in rows]


async def listed(
    conn: asyncpg.Connection,
    *,
    owner_id: str | None,
    account_id: str | None,
    status: str | None,
    due_before: datetime | None,
    overdue_at: datetime | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """``status`` 'open' means any open state; ``overdue_at``: open or in progress and due before it."""
    rows = await conn.fetch(
        f"""SELECT {TASK_COLUMNS} FROM tasks
            WHERE ($1::text IS NULL OR owner_id = $1) AND ($2::text IS NULL OR account_id = $2)
              AND ($3::text IS NULL OR ($3 = 'open' AND status = ANY($8::text[])) OR status = $3)
              AND ($4::timestamptz IS NULL OR due_at < $4)
              AND ($5::timestamptz IS NULL OR (status IN ('open', 'in_progress') AND due_at < $5))
            ORDER BY due_at, task_id LIMIT $6 OFFSET $7""",
        owner_id,
        account_id,
        status,
        due_before,
        overdue_at,
        limit,
        offset,
        list(td.OPEN),
    )
    return [dict(r) for r in rows]


async def claim_overdue(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""UPDATE tasks SET overdue_alerted = true WHERE task_id IN (
              SELECT task_id FROM tasks WHERE status IN ('open', 'in_progress') AND NOT overdue_alerted
                AND due_at < $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING {TASK_COLUMNS}""",
        now,
        limit,
    )
    return rows


async def claim_woken(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""UPDATE tasks SET status = 'open', snoozed_until = NULL, updated_at = $1 WHERE task_id IN (
              SELECT task_id FROM tasks WHERE status = 'snoozed' AND snoozed_until <= $1 ORDER BY snoozed_until
              LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING {TASK_COLUMNS}""",
        now,
        limit,
    )
    return rows


class TaskStore:
    """The tasks on one connection, for the use cases that change a task (``tasks.change``): the
    repository as an object, so a use-case test can hand it an in-memory one instead."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, *, task_id: str, lock: bool = False) -> Mapping[str, Any] | None:
        return await get_task(self.conn, task_id=task_id, lock=lock)

    async def apply_change(
        self, *, task_id: str, change: td.Change, at: datetime, note: Document | None
    ) -> Mapping[str, Any]:
        row: Mapping[str, Any] = await apply_change(self.conn, task_id=task_id, change=change, at=at, note=note)
        await crm_repository.mark(self.conn, account_ids=[row["account_id"]], now=at)  # the open task count
        return row

    async def audit(self, *, task_id: str, at: datetime, actor: str, action: str, details: Document) -> None:
        await audit(self.conn, task_id=task_id, at=at, actor=actor, action=action, details=details)

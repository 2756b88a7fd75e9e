"""The account view's alerts and tasks, as notifications announced them (latest-wins by the event's time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def add_alert(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        "INSERT INTO alerts VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT DO NOTHING",
        p["account_id"],
        p["alert_id"],
        p["rule_id"],
        p["severity"],
        p["title"],
        p["text"],
        p.get("recipients") or [],
        at,
    )


async def upsert_task(conn: asyncpg.Connection, *, p: dict[str, Any], at: datetime) -> None:
    """A task opened (again) or closed; a close is final unless a later reopen arrives."""
    status = p.get("status") or "open"
    await conn.execute(
        """INSERT INTO tasks (account_id, task_id, playbook_id, title, owner_id, priority, due_at, status, why, steps,
                              outcome, reason, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (account_id, task_id) DO UPDATE SET title = excluded.title, owner_id = excluded.owner_id,
             priority = excluded.priority, due_at = excluded.due_at, status = excluded.status,
             why = coalesce(excluded.why, tasks.why),
             steps = CASE WHEN cardinality(excluded.steps) > 0 THEN excluded.steps ELSE tasks.steps END,
             outcome = excluded.outcome, reason = excluded.reason, changed_at = excluded.changed_at
           WHERE excluded.changed_at >= tasks.changed_at""",
        p["account_id"],
        p["task_id"],
        p["playbook_id"],
        p["title"],
        p.get("owner_id"),
        p["priority"],
        datetime.fromisoformat(p["due_at"]),
        status,
        p.get("why"),
        list(p.get("steps") or []),
        p.get("outcome"),
        p.get("reason"),
        at,
    )

"""The account view's alerts and tasks, as notifications announced them (latest-wins by the event's time)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bellwether_shared.events import notifications as nev


async def add_alert(conn: asyncpg.Connection, *, e: nev.AlertRaised, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO alerts VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT DO NOTHING",
        e.account_id,
        e.alert_id,
        e.rule_id,
        e.severity,
        e.title,
        e.text,
        [r.model_dump(mode="json") for r in e.recipients],
        at,
    )


async def upsert_task(conn: asyncpg.Connection, *, e: nev.TaskOpened | nev.TaskClosed, at: datetime) -> None:
    """A task opened (again) or closed; a close is final unless a later reopen arrives."""
    status: str
    if isinstance(e, nev.TaskClosed):  # why and steps stay as the opening said
        status, why, steps, outcome, reason = e.status, None, [], e.outcome, e.reason
    else:
        status, why, steps, outcome, reason = "open", e.why, list(e.steps), None, None
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
        e.account_id,
        e.task_id,
        e.playbook_id,
        e.title,
        e.owner_id,
        e.priority,
        e.due_at,
        status,
        why,
        steps,
        outcome,
        reason,
        at,
    )

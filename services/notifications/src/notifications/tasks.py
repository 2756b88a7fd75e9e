"""Tasks from playbooks: a rule with a playbook opens the account's task (or, while one is open, notes the
repeat trigger on it); people move tasks through their lifecycle; a sweep wakes snoozed tasks and alerts
the owners of overdue ones through their noise control. Every change is audited; opening and closing
are announced (``task_opened``, ``task_closed``) through the outbox in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg

from bellwether_shared.events import notifications as nev
from bellwether_shared.logging import get_logger
from bellwether_shared.uow import UnitOfWork, Work
from notifications import crm_repository, repository, system_alerts, task_repository as repo
from notifications.domain import tasks as td
from notifications.domain.rules import Match

log = get_logger(__name__)
_RANK = {p: i for i, p in enumerate(td.PRIORITY)}


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


def _announce_open(uow: Work, row: Any) -> None:
    uow.emit(
        nev.TaskOpened(
            account_id=row["account_id"],
            task_id=row["task_id"],
            playbook_id=row["playbook_id"],
            title=row["title"],
            owner_id=row["owner_id"],
            priority=row["priority"],
            due_at=row["due_at"],
            why=row["why"],
            steps=[s["title"] for s in row["steps"]],
            triggers=row["triggers"],
            opened_at=row["opened_at"],
        )
    )


async def open_from_rule(
    uow: UnitOfWork,
    *,
    rule: Mapping[str, Any],
    match: Match,
    event_type: str,
    facts: Mapping[str, Any],
    text: str,
    now: datetime,
    window: timedelta = timedelta(0),
) -> asyncpg.Record | None:
    """Open the playbook's task for the account's owner, unless one stands for the same trigger: the
    account's open task of this playbook, or (one cause, one task per owner) the task another
    consequence of it opened for the same owner within ``window``; that one gets a note saying why."""
    conn = uow.conn
    found = await repo.current_playbook(conn, playbook_id=rule["playbook_id"])
    account = facts["event"].get("account_id")
    if found is None or not account:
        log.warning("rule names no active playbook", rule_id=rule["rule_id"], playbook_id=rule["playbook_id"])
        return None
    pb = repo.playbook_of(found)
    if not pb.applies_to((facts.get("account") or {}).get("engagement")):
        return None  # this segment's experience has no person's task for it (the playbook says whom)
    priority = td.priority_of(rule["severity"])
    owners = (facts.get("account") or {}).get("owners") or {}
    owner, role = td.owner(match.recipients, owners, tuple(rule["recipient_roles"]))
    existing = await repo.open_task(conn, account_id=account, playbook_id=pb.playbook_id)
    also = ""
    if existing is None and window > timedelta(0):
        existing = await repo.recent_for_owner(conn, account_id=account, owner_id=owner, since=now - window)
        also = f" (the same cause: also '{pb.name}')"
    if existing is not None:
        return await _retrigger(
            uow, existing, rule=rule, event_type=event_type, text=text + also, priority=priority, now=now
        )
    return await _open_new(
        uow,
        pb,
        rule=rule,
        account=account,
        owner=(owner, role),
        priority=priority,
        facts=facts,
        why=f"{match.why}: {text}",
        event_type=event_type,
        now=now,
    )


async def _open_new(
    uow: UnitOfWork,
    pb: td.Playbook,
    *,
    rule: Mapping[str, Any],
    account: str,
    owner: tuple[str | None, str | None],
    priority: str,
    facts: Mapping[str, Any],
    why: str,
    event_type: str,
    now: datetime,
) -> asyncpg.Record | None:
    """A new task of the playbook for the owner, audited and announced (None: another transaction
    opened it a moment ago, and that one stands)."""
    conn = uow.conn
    owner_id, role = owner
    name = (facts.get("account") or {}).get("name") or account
    exposure = (facts.get("account") or {}).get("exposure")
    row = await repo.insert_task(
        conn,
        t=repo.NewTask(
            task_id="task_" + uuid.uuid4().hex[:16],
            account_id=account,
            playbook_id=pb.playbook_id,
            playbook_version=pb.version,
            rule_id=rule["rule_id"],
            title=f"{pb.name}: {name}",
            owner_id=owner_id,
            owner_role=role,
            priority=priority,
            due_at=td.due_at(pb, now),
            steps=td.steps_for(pb, exposure=exposure, opened_at=now),
            why=why,
            opened_at=now,
        ),
    )
    if row is None:
        return None
    await crm_repository.mark(conn, account_ids=[account], now=now)  # the CRM shows the open task count
    await repo.audit(
        conn,
        task_id=row["task_id"],
        at=now,
        actor=f"rule:{rule['rule_id']}",
        action="opened",
        details={"event_type": event_type, "owner_id": owner_id, "playbook_version": pb.version},
    )
    _announce_open(uow, row)
    return row


async def _retrigger(
    uow: UnitOfWork,
    existing: Any,
    *,
    rule: Mapping[str, Any],
    event_type: str,
    text: str,
    priority: str,
    now: datetime,
) -> asyncpg.Record:
    note = {"at": now.isoformat(), "by": f"rule:{rule['rule_id']}", "note": f"triggered again ({event_type}): {text}"}
    keep = max(existing["priority"], priority, key=lambda p: _RANK.get(p, 0))
    row = await repo.retrigger(uow.conn, task_id=existing["task_id"], note=note, priority=keep, at=now)
    await repo.audit(
        uow.conn,
        task_id=row["task_id"],
        at=now,
        actor=f"rule:{rule['rule_id']}",
        action="retriggered",
        details={"event_type": event_type, "text": text},
    )
    _announce_open(uow, row)
    return row


class Tasks(Protocol):
    """The tasks a change reads and writes (``task_repository.TaskStore`` on a connection)."""

    async def get(self, *, task_id: str, lock: bool = False) -> Mapping[str, Any] | None: ...

    async def apply_change(
        self, *, task_id: str, change: td.Change, at: datetime, note: dict[str, Any] | None
    ) -> Mapping[str, Any]: ...

    async def audit(self, *, task_id: str, at: datetime, actor: str, action: str, details: dict[str, Any]) -> None: ...


async def change(
    uow: Work,
    *,
    tasks: Tasks,
    task_id: str,
    action: str,
    actor: str,
    role: str,
    until: datetime | None = None,
    outcome: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> Mapping[str, Any]:
    """One step of the lifecycle by a person (``td.Refused`` when the lifecycle does not allow it)."""
    now = uow.now
    row = await tasks.get(task_id=task_id, lock=True)
    if row is None:
        raise NotFound(f"task_id: no task '{task_id}'")
    if not td.may_change(role=role, actor=actor, owner_id=row["owner_id"]):
        raise Forbidden(f"owner_id: the task is {row['owner_id']}'s; a CSM changes only their own (vp_cs or admin any)")
    c = td.transition(row["status"], action, now=now, until=until, outcome=outcome, reason=reason)
    entry = {"at": now.isoformat(), "by": actor, "note": note} if note else None
    updated = await tasks.apply_change(task_id=task_id, change=c, at=now, note=entry)
    await tasks.audit(
        task_id=task_id,
        at=now,
        actor=actor,
        action=action,
        details={
            "from": row["status"],
            "to": c.status,
            "until": until.isoformat() if until else None,
            "outcome": outcome,
            "reason": reason,
            "note": note,
        },
    )
    if c.closed:
        uow.emit(
            nev.TaskClosed(
                account_id=updated["account_id"],
                task_id=task_id,
                playbook_id=updated["playbook_id"],
                title=updated["title"],
                owner_id=updated["owner_id"],
                priority=updated["priority"],
                due_at=updated["due_at"],
                status=c.closed_as,
                outcome=c.outcome,
                reason=c.reason,
                closed_by=actor,
                closed_at=now,
            )
        )
    elif action == "reopen":
        _announce_open(uow, updated)
    return updated


async def change_in_transaction(pool: asyncpg.Pool, **change_args: Any) -> Mapping[str, Any]:
    """``change`` in a transaction of its own (the API's): state, audit and events commit together."""
    async with pool.acquire() as conn, conn.transaction(), repository.unit(conn) as uow:
        return await change(uow, tasks=repo.TaskStore(conn), **change_args)


async def sweep(pool: asyncpg.Pool, *, now: datetime, batch: int = 200) -> int:
    """Wake the snoozed tasks whose date came; alert the owner of each task that became overdue (once per
    task, through their noise control: throttle, digest and de-duplication apply)."""
    async with pool.acquire() as conn, conn.transaction():
        return await sweep_conn(conn, now=now, batch=batch)


async def sweep_conn(conn: asyncpg.Connection, *, now: datetime, batch: int = 200) -> int:
    """The sweep on an open transaction."""
    async with repository.unit(conn, now=now) as uow:
        woken = await repo.claim_woken(conn, now=now, limit=batch)
        for t in woken:
            await repo.audit(conn, task_id=t["task_id"], at=now, actor="system", action="woke", details={})
            _announce_open(uow, t)
        due = await repo.claim_overdue(conn, now=now, limit=batch)
        for t in due:
            await repo.audit(conn, task_id=t["task_id"], at=now, actor="system", action="overdue", details={})
            await system_alerts.notify_task_overdue(uow, task=t, now=now)
    return len(woken) + len(due)

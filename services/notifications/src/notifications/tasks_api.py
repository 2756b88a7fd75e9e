"""Tasks: my tasks (by owner, due, overdue), an account's tasks, one task with its history, and its
lifecycle (start, snooze, done, dismiss, reopen). A CSM changes only their own tasks; vp_cs and admin any."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import task_repository as repo, tasks
from notifications.deps import Reader, Writer
from notifications.domain import tasks as td

router = APIRouter(prefix="/v1", tags=["tasks"], responses={401: {"description": "missing or wrong token"}})


class ChangeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "done", "outcome": "new champion mapped: the Director of IT", "note": "met on Tuesday"},
                {"action": "snooze", "until": "2026-12-10T09:00:00Z"},
            ]
        },
    )
    action: Literal["start", "snooze", "done", "dismiss", "reopen"]
    until: AwareDatetime | None = Field(None, description="snooze: until when")
    outcome: str | None = Field(None, min_length=1, max_length=2000, description="done: what came of it")
    reason: str | None = Field(None, min_length=1, max_length=2000, description="dismiss: why")
    note: str | None = Field(None, max_length=2000)


@router.get("/tasks", summary="Tasks by owner, account, status; due before a time; overdue")
async def list_tasks(
    acting: Reader,
    owner_id: Annotated[str | None, Query(max_length=200, description="my tasks")] = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["open", "in_progress", "snoozed", "done", "dismissed"] | None = Query(
        None, description="'open' also takes in progress and snoozed"
    ),
    due_before: datetime | None = None,
    overdue: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repo.listed(
            conn,
            owner_id=owner_id,
            account_id=account_id,
            status=status,
            due_before=due_before,
            overdue_at=utcnow() if overdue else None,
            limit=limit,
            offset=offset,
        )
    return page(rows, limit=limit, offset=offset, legacy="tasks")


@router.get("/tasks/{task_id}", summary="One task with its steps, notes and every change")
async def get_task(task_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await repo.get_task(conn, task_id=task_id)
        if row is None:
            raise ApiError(404, "not_found", f"task_id: no task '{task_id}'")
        return dict(row) | {"history": await repo.history(conn, task_id=task_id)}


@router.post("/tasks/{task_id}/changes", summary="Move a task through its lifecycle (audited)")
async def change_task(task_id: str, body: ChangeIn, acting: Writer) -> dict[str, Any]:
    try:
        row = await tasks.change_in_transaction(
            acting.rt.pool,
            task_id=task_id,
            action=body.action,
            actor=acting.caller.actor,
            role=acting.caller.role,
            until=body.until,
            outcome=body.outcome,
            reason=body.reason,
            note=body.note,
        )
    except tasks.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except tasks.Forbidden as exc:
        raise ApiError(403, "forbidden", str(exc), needed_role="vp_cs") from None
    except td.Refused as exc:
        field, _, reason = str(exc).partition(": ")
        status = 409 if field in ("status", "action") else 422
        raise ApiError(
            status,
            "conflict" if status == 409 else "validation_error",
            str(exc),
            errors=[{"field": field, "reason": reason}],
        ) from None
    return dict(row)

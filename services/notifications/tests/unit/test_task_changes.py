"""The task lifecycle use case (``tasks.change``) on a fake unit of work and an in-memory task store: who
may change a task, what each step records, and what it announces. No database: the SQL behind the real
store is exercised by the integration tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bellwether_shared.events import notifications as nev
from notifications import tasks
from notifications.domain import tasks as td
from tests.support.fakes import FakeUnitOfWork

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


@dataclass
class FakeTasks:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    audited: list[tuple[str, str, str]] = field(default_factory=list)

    async def get(self, *, task_id: str, lock: bool = False) -> Mapping[str, Any] | None:
        return self.rows.get(task_id)

    async def apply_change(
        self, *, task_id: str, change: td.Change, at: datetime, note: dict[str, Any] | None
    ) -> Mapping[str, Any]:
        row = self.rows[task_id]
        row |= {"status": change.status, "snoozed_until": change.snoozed_until, "updated_at": at}
        row["notes"] = row["notes"] + ([note] if note else [])
        return row

    async def audit(self, *, task_id: str, at: datetime, actor: str, action: str, details: dict[str, Any]) -> None:
        self.audited.append((task_id, actor, action))


def _store() -> FakeTasks:
    row: dict[str, Any] = {"task_id": "t1", "account_id": "acct-1", "playbook_id": "renewal-at-risk"}
    row |= {"title": "Renewal at risk"}
    row |= {"owner_id": "cara", "priority": "high", "due_at": NOW + timedelta(days=3), "status": "open"}
    row |= {"why": "risk rose", "steps": [{"title": "Call"}], "triggers": 1, "opened_at": NOW, "notes": []}
    return FakeTasks({"t1": row})


async def test_a_csm_changes_only_their_own_task_and_a_refusal_records_nothing() -> None:
    store, uow = _store(), FakeUnitOfWork(NOW)
    with pytest.raises(tasks.Forbidden, match="owner_id"):
        await tasks.change(uow, tasks=store, task_id="t1", action="start", actor="rita", role="csm")
    with pytest.raises(tasks.NotFound, match="task_id"):
        await tasks.change(uow, tasks=store, task_id="t2", action="start", actor="cara", role="csm")
    assert store.rows["t1"]["status"] == "open" and store.audited == [] and uow.events == []
    started = await tasks.change(uow, tasks=store, task_id="t1", action="start", actor="cara", role="csm")
    assert started["status"] == "in_progress" and store.audited == [("t1", "cara", "start")]
    assert uow.events == [], "a start is no news for the account view"


async def test_closing_announces_once_and_a_closed_task_stays_closed_until_reopened() -> None:
    store, uow = _store(), FakeUnitOfWork(NOW)
    await tasks.change(
        uow, tasks=store, task_id="t1", action="done", actor="vic", role="vp_cs", outcome="saved", note="CFO"
    )
    (closed,) = uow.events
    assert isinstance(closed, nev.TaskClosed)
    assert (closed.status, closed.outcome, closed.closed_by, closed.closed_at) == ("done", "saved", "vic", NOW)
    assert store.rows["t1"]["notes"] == [{"at": NOW.isoformat(), "by": "vic", "note": "CFO"}]
    with pytest.raises(td.Refused, match="closed tasks stay closed"):
        await tasks.change(uow, tasks=store, task_id="t1", action="start", actor="vic", role="vp_cs")
    assert len(uow.events) == 1 and [a for _, _, a in store.audited] == ["done"]
    await tasks.change(uow, tasks=store, task_id="t1", action="reopen", actor="vic", role="vp_cs")
    assert isinstance(uow.events[-1], nev.TaskOpened) and uow.events[-1].task_id == "t1"

"""Playbooks and tasks (pure): steps by exposure, due dates, the lifecycle, who may change a task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from notifications.domain import tasks as td

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
PB = td.Playbook(
    "renewal-at-risk",
    1,
    "Renewal at risk",
    10,
    (
        td.Step("Read the risk reasons", due_days=1),
        td.Step("High: ask an open question", due_days=3, role="renewal_owner", exposure="high"),
        td.Step("Moderate: offer a menu", due_days=5, role="renewal_owner", exposure="moderate"),
        td.Step("Low: open a channel", due_days=7, role="renewal_owner", exposure="low"),
        td.Step("Agree the save plan", due_days=10),
    ),
)


def test_outreach_steps_follow_the_accounts_exposure() -> None:
    high = td.steps_for(PB, exposure="high", opened_at=NOW)
    assert [s["title"] for s in high] == ["Read the risk reasons", "High: ask an open question", "Agree the save plan"]
    assert high[1]["due_at"] == (NOW + timedelta(days=3)).isoformat() and not high[1]["done"]
    unknown = td.steps_for(PB, exposure=None, opened_at=NOW)
    assert [s["title"] for s in unknown] == ["Read the risk reasons", "Agree the save plan"]
    assert td.due_at(PB, NOW) == NOW + timedelta(days=10)


def test_the_lifecycle() -> None:
    assert td.transition("open", "start", now=NOW).status == "in_progress"
    snoozed = td.transition("in_progress", "snooze", now=NOW, until=NOW + timedelta(days=2))
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", NOW + timedelta(days=2))
    assert td.wakes("snoozed", NOW + timedelta(days=2), NOW + timedelta(days=2))
    done = td.transition("snoozed", "done", now=NOW, outcome="saved with a payment plan")
    assert done.closed and done.outcome == "saved with a payment plan"
    for bad, says in (
        (lambda: td.transition("open", "snooze", now=NOW, until=NOW), "until:"),
        (lambda: td.transition("open", "done", now=NOW), "outcome:"),
        (lambda: td.transition("open", "dismiss", now=NOW), "reason:"),
        (lambda: td.transition("done", "start", now=NOW), "status:"),
        (lambda: td.transition("open", "reopen", now=NOW), "status:"),
    ):
        with pytest.raises(td.Refused, match=says):
            bad()
    assert td.transition("dismissed", "reopen", now=NOW).status == "open"


@given(st.lists(st.sampled_from(["start", "snooze", "done", "dismiss", "reopen"]), max_size=12))
def test_no_action_but_reopen_leaves_a_closed_task_and_every_state_is_known(actions: list[str]) -> None:
    status = "open"
    for a in actions:
        try:
            c = td.transition(status, a, now=NOW, until=NOW + timedelta(days=1), outcome="o", reason="r")
        except td.Refused:
            continue
        if status in td.CLOSED:
            assert a == "reopen"
        status = c.status
        assert status in (*td.OPEN, *td.CLOSED) and c.closed == (status in td.CLOSED)


def test_who_may_change_a_task_and_who_owns_it() -> None:
    assert td.may_change(role="csm", actor="ana", owner_id="ana")
    assert not td.may_change(role="csm", actor="bo", owner_id="ana")
    assert td.may_change(role="vp_cs", actor="vic", owner_id="ana") and td.may_change(
        role="admin", actor="x", owner_id=None
    )
    assert not td.may_change(role="viewer", actor="ana", owner_id="ana")
    assert td.owner(("rita", "cara"), {"csm": "cara", "renewal_owner": "rita"}, ("renewal_owner", "csm")) == (
        "rita",
        "renewal_owner",
    )
    assert td.owner((), {}, ("csm",)) == (None, None)
    assert td.overdue("open", NOW - timedelta(minutes=1), NOW) and not td.overdue(
        "snoozed", NOW - timedelta(days=9), NOW
    )

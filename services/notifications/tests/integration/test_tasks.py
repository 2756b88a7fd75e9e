"""Tasks on the migrated schema inside a rolled-back transaction (the rules, the use cases, the sweep),
then the API through the running service: a risk opens one task with the playbook's steps for the
account's exposure, a repeat trigger notes itself on it, the owner moves it through its lifecycle,
another CSM may not, an overdue task alerts its owner once, a snoozed one wakes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import httpx
import orjson

from bellwether_shared.events import ingest as iev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from bellwether_shared.uow import within
from conftest import CSM_KEYS, NOTIFICATIONS_TOKEN, VIEWER_KEY
from notifications import tasks
from notifications.handlers import make_handler
from notifications.settings import SOURCE
from notifications.task_repository import TaskStore
from tests.support.db import rolled_back
from tests.support.notifications import owners, risk
from tests.support.wait import eventually

NOW = datetime.now(UTC)
ADMIN = {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"}


def rec(event: Event) -> Consumed:
    env = event.envelope(event_id=str(uuid.uuid4()), source="bellwether/test", time=NOW)
    return Consumed(env, 0, 0, orjson.loads(env.data))


def at_risk(acct: str) -> rev.RenewalRiskChanged:
    return rev.RenewalRiskChanged(
        account_id=acct,
        opportunity_id="o1",
        at_risk=True,
        level="high",
        points=60,
        renewal_date=date.today(),
        days_to_renewal=40,
        arr=90_000,
        owner_id="rita",
        reasons=[rev.RiskReason(factor="health_red", points=40, text="health is red (31)")],
    )


async def test_a_risk_opens_one_task_the_owner_closes_and_the_sweep_alerts_when_overdue(
    notifications_db, run_id
) -> None:
    acct = f"nt-{run_id}"
    upsert = iev.AccountUpserted(
        message_id="m",
        source_id="s",
        account_id=acct,
        received_at=NOW,
        occurred_at=NOW,
        name="Acme",
        exposure="high",
        owners=iev.Owners(csm="cara", renewal_owner="rita"),
    )
    handle = make_handler(max_age=timedelta(hours=1))
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await handle(conn, [rec(upsert), rec(at_risk(acct))])
        await handle(conn, [rec(at_risk(acct))])  # triggered again while open: the same task
        rows = await conn.fetch("SELECT * FROM tasks WHERE account_id = $1", acct)
        task = rows[0]
        async with within(conn, source=SOURCE, now=NOW) as uow:
            try:
                await tasks.change(
                    uow, tasks=TaskStore(conn), task_id=task["task_id"], action="start", actor="cara", role="csm"
                )
                others = "allowed"
            except tasks.Forbidden:
                others = "refused"
            started = await tasks.change(
                uow, tasks=TaskStore(conn), task_id=task["task_id"], action="start", actor="rita", role="csm"
            )
        # due in the past: the sweep alerts the owner once
        await conn.execute("UPDATE tasks SET due_at = $2 WHERE task_id = $1", task["task_id"], NOW - timedelta(hours=1))
        swept = await tasks.sweep_conn(conn, now=NOW)
        again = await tasks.sweep_conn(conn, now=NOW)
        overdue = await conn.fetch(
            "SELECT alert_id FROM alerts WHERE rule_id = 'system:task-overdue' AND account_id = $1", acct
        )
        announced = await conn.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 AND event_type LIKE '%alert_raised%'", acct
        )
        async with within(conn, source=SOURCE, now=NOW) as uow:
            done = await tasks.change(
                uow,
                tasks=TaskStore(conn),
                task_id=task["task_id"],
                action="done",
                actor="vp-vic",
                role="vp_cs",
                outcome="payment plan agreed",
                note="CFO on the call",
            )
        audit = [
            r["action"]
            for r in await conn.fetch("SELECT action FROM task_audit WHERE task_id = $1 ORDER BY id", task["task_id"])
        ]
        rows_out = await conn.fetch(
            "SELECT event_type, payload FROM outbox WHERE subject = $1 AND event_type LIKE '%task%' ORDER BY id", acct
        )
        events = [(r["event_type"].split(".")[2], orjson.loads(r["payload"])) for r in rows_out]
    assert len(rows) == 1 and task["owner_id"] == "rita" and task["owner_role"] == "renewal_owner"
    assert task["triggers"] == 2 and "triggered again" in task["notes"][0]["note"]
    assert [s["title"] for s in task["steps"]] == [
        "Read the risk reasons and the champions",
        "High exposure: ask an open question",
        "Agree the save plan",
    ]
    assert others == "refused" and started["status"] == "in_progress"
    assert swept >= 1 and again == 0 and len(overdue) == 1
    # the system alert is announced like every other: its alert_raised names it
    raised = [orjson.loads(r["payload"]) for r in announced]
    system = [r["alert_id"] for r in raised if r["rule_id"] == "system:task-overdue"]
    assert system == [overdue[0]["alert_id"]]
    assert done["status"] == "done" and done["outcome"] == "payment plan agreed"
    assert audit == ["opened", "retriggered", "start", "overdue", "done"]
    assert [e for e, _ in events] == ["task_opened", "task_opened", "task_closed"]
    assert events[1][1]["triggers"] == 2 and events[2][1]["closed_by"] == "vp-vic"


async def test_the_tasks_api_by_owner_lifecycle_and_who_may(notifications, kafka_bootstrap, run_id) -> None:
    acct, ana, bo = f"nta-{run_id}", "csm-ana", "csm-bo"
    await owners(kafka_bootstrap, acct, csm=ana)
    await risk(kafka_bootstrap, acct, f"opp-{run_id}")
    as_ana = {"Authorization": f"Bearer {CSM_KEYS[ana]}"}
    async with httpx.AsyncClient(base_url=notifications.url, timeout=15) as http:

        async def mine() -> list[dict[str, Any]] | None:
            got = (
                await http.get(
                    "/v1/tasks",
                    params={"owner_id": ana, "account_id": acct},
                    headers={"Authorization": f"Bearer {VIEWER_KEY}"},
                )
            ).json()["tasks"]
            return got or None

        listed = await eventually(mine, what="the risk's task in Ana's list")
        tid = listed[0]["task_id"]
        refused = await http.post(
            f"/v1/tasks/{tid}/changes", json={"action": "start"}, headers={"Authorization": f"Bearer {CSM_KEYS[bo]}"}
        )
        viewer = await http.post(
            f"/v1/tasks/{tid}/changes", json={"action": "start"}, headers={"Authorization": f"Bearer {VIEWER_KEY}"}
        )
        no_outcome = await http.post(f"/v1/tasks/{tid}/changes", json={"action": "done"}, headers=as_ana)
        snooze = await http.post(
            f"/v1/tasks/{tid}/changes",
            headers=as_ana,
            json={"action": "snooze", "until": (NOW + timedelta(days=1)).isoformat()},
        )
        done = await http.post(f"/v1/tasks/{tid}/changes", json={"action": "done", "outcome": "saved"}, headers=as_ana)
        closed_again = await http.post(f"/v1/tasks/{tid}/changes", json={"action": "start"}, headers=as_ana)
        detail = (await http.get(f"/v1/tasks/{tid}", headers=ADMIN)).json()
        bad_rule = await http.put(
            "/v1/rules/r-pb",
            headers=ADMIN,
            json={
                "name": "n",
                "event_type": "bellwether.renewals.risk_changed.v1",
                "severity": "high",
                "recipient_roles": ["csm"],
                "playbook_id": "no-such-playbook",
            },
        )
        pb = await http.put(
            f"/v1/playbooks/pb-{run_id}",
            headers=ADMIN,
            json={"name": "Sponsor", "due_days": 14, "steps": [{"title": "Meet the sponsor", "due_days": 7}]},
        )
        pb2 = await http.put(
            f"/v1/playbooks/pb-{run_id}",
            headers=ADMIN,
            json={"name": "Sponsor change", "due_days": 10, "steps": [{"title": "Meet them", "due_days": 3}]},
        )
        versions = (await http.get(f"/v1/playbooks/pb-{run_id}", headers=ADMIN)).json()
        as_csm_pb = await http.put(
            f"/v1/playbooks/pb-{run_id}", headers=as_ana, json={"name": "x", "due_days": 1, "steps": [{"title": "t"}]}
        )
    assert listed[0]["playbook_id"] == "renewal-at-risk" and listed[0]["owner_id"] == ana
    assert refused.status_code == 403 and "a CSM changes only their own" in refused.json()["message"]
    assert viewer.status_code == 403 and viewer.json()["needed_role"] == "csm"
    assert no_outcome.status_code == 422 and no_outcome.json()["errors"][0]["field"] == "outcome"
    assert snooze.json()["status"] == "snoozed" and done.json()["status"] == "done"
    assert closed_again.status_code == 409
    assert [h["action"] for h in detail["history"]] == ["opened", "snooze", "done"]
    assert bad_rule.status_code == 422 and bad_rule.json()["errors"][0]["field"] == "playbook_id"
    assert (pb.json()["version"], pb2.json()["version"]) == (1, 2) and versions["current"]["due_days"] == 10
    assert as_csm_pb.status_code == 403


def overdue_touch(acct: str, kind: Literal["business_review", "check_in"], days: int) -> rev.TouchOverdue:
    return rev.TouchOverdue(
        account_id=acct,
        kind=kind,
        due_on=date.today() - timedelta(days=days),
        days_overdue=days,
        last_done=date.today() - timedelta(days=days + 91),
        engagement_model="high_touch",
        engagement_reason="strategic tier: high touch",
        owner_id="cara",
    )


async def test_an_overdue_promised_touch_is_one_task_for_the_csm(notifications_db, run_id) -> None:
    """Two kinds of touch overdue at once: one task for the CSM (one cause), triggered twice."""
    acct = f"nt-touch-{run_id}"
    upsert = iev.AccountUpserted(
        message_id="m",
        source_id="s",
        account_id=acct,
        received_at=NOW,
        occurred_at=NOW,
        name="Acme",
        owners=iev.Owners(csm="cara", renewal_owner="rita"),
    )
    handle = make_handler(max_age=timedelta(hours=1))
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await handle(conn, [rec(upsert), rec(overdue_touch(acct, "business_review", 9))])
        await handle(conn, [rec(overdue_touch(acct, "check_in", 2))])
        rows = await conn.fetch("SELECT * FROM tasks WHERE account_id = $1", acct)
    assert len(rows) == 1
    task = rows[0]
    assert (task["playbook_id"], task["owner_id"], task["owner_role"]) == ("promised-touch-overdue", "cara", "csm")
    assert task["title"] == "Promised touch overdue: Acme" and task["triggers"] == 2
    assert [s["title"] for s in task["steps"]] == [
        "Book the touch with the customer",
        "Hold it and record it",
        "If it cannot be held, record it missed and why",
    ]


async def test_a_playbook_names_the_segments_it_serves(notifications_db, run_id) -> None:
    """Champion left: a person re-threads a high-touch account; a self-service one gets no person's task
    (the default playbook names high touch and one-to-many); a renewal at risk gets one whatever the model."""
    served, self_served = f"nt-ht-{run_id}", f"nt-ss-{run_id}"

    def account(acct: str, **engagement: Any) -> iev.AccountUpserted:
        owners = iev.Owners(csm="cara", renewal_owner="rita")
        return iev.AccountUpserted(
            message_id="m",
            source_id="s",
            account_id=acct,
            received_at=NOW,
            occurred_at=NOW,
            owners=owners,
            **engagement,
        )

    def left(acct: str) -> iev.ContactChanged:
        return iev.ContactChanged(
            message_id="m2",
            source_id="s",
            account_id=acct,
            received_at=NOW,
            occurred_at=NOW,
            contact_id="vp",
            is_champion=True,
            departed=True,
        )

    handle = make_handler(max_age=timedelta(hours=1))
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await handle(conn, [rec(account(served, tier="strategic")), rec(left(served))])
        await handle(conn, [rec(account(self_served, engagement_preference="self_service")), rec(left(self_served))])
        await handle(conn, [rec(at_risk(self_served))])
        rows = await conn.fetch(
            "SELECT account_id, playbook_id FROM tasks WHERE account_id = ANY($1::text[]) ORDER BY 1, 2",
            [served, self_served],
        )
    assert [tuple(r) for r in rows] == [(served, "champion-left"), (self_served, "renewal-at-risk")]

"""Renewals early and predictable: risk is raised from the moment the renewal opens (120 days), a
renewal at risk escalates once its tier says so, the 90-day task is asked for by tier, and renewals
closed late or at risk only in their last 30 days are reported per owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bellwether_shared import topics
from bellwether_shared.events import ingest as iev
from bellwether_shared.kafka import create_producer, publish
from devkit.kafka import TopicTail
from tests.support.renewals import CSM, VIEWER, contract, put_contract, today
from tests.support.wait import eventually


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


async def _signals(bootstrap: str, *accounts: tuple[str, str]) -> None:
    """Each account with its tier (as the CRM sends it), a highly exposed industry and two urgent tickets
    open: at risk on renewals' own facts (15 + 20 points, and a deep discount on the contract), whatever
    the health service, running in the same session, makes of these accounts."""
    now = datetime.now(UTC)
    envs = []
    for acct, tier in accounts:
        envs.append(
            iev.AccountUpserted(
                message_id=acct,
                source_id="s",
                account_id=acct,
                received_at=now,
                occurred_at=now,
                tier=tier,
                exposure="high",
                owners=iev.Owners(csm=f"csm-{acct}"),
            ).envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
        )
        for t in ("t1", "t2"):
            envs.append(
                iev.TicketChanged(
                    message_id=f"{acct}-{t}",
                    source_id="s",
                    account_id=acct,
                    received_at=now,
                    occurred_at=now,
                    ticket_id=t,
                    status="opened",
                    severity="urgent",
                ).envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
            )
    producer = create_producer(bootstrap, client_id="test-early")
    await producer.start()
    try:
        await publish(producer, envs, timeout_s=30)
    finally:
        await producer.stop()


def _of(recs: list[Any], kind: str, account: str) -> list[dict[str, Any]]:
    return [
        r.payload
        for r in recs
        if r.envelope.type == f"bellwether.renewals.{kind}.v1" and r.payload.get("account_id") == account
    ]


async def test_risk_at_100_days_escalates_by_tier_and_tasks_follow_the_tier(http, kafka_bootstrap, run_id) -> None:
    big, mid = f"early-big-{run_id}", f"early-mid-{run_id}"
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        await _signals(kafka_bootstrap, (big, "Enterprise"), (mid, "mid"))
        # the contracts after the accounts' news (their tiers and colours known to renewals): each renewal
        # opens at 100 days with its risk known

        async def known() -> bool:
            for acct in (big, mid):
                r = await http.get(f"/v1/accounts/{acct}", headers=VIEWER)
                if r.status_code != 200 or r.json().get("tier") is None or r.json().get("exposure") is None:
                    return False
            return True

        # late in a full run the renewals consumer may still be reading the history of earlier suites
        await eventually(known, timeout=240, what="renewals knows both accounts' tiers and colours")
        for acct in (big, mid):
            await put_contract(http, contract(f"c-{acct}", acct, 100, list_price=100_000))
        got = await tail.collect(lambda rs: all(_of(rs, "risk_changed", a) for a in (big, mid)), timeout=120)
        # a second contract ending in 80 days: its renewal opens inside the 90-day window and announces it
        for acct in (big, mid):
            await put_contract(http, contract(f"n-{acct}", acct, 80, list_price=100_000))
        near = await tail.collect(
            lambda rs: all(any(p["window"] == 90 for p in _of(rs, "renewal_upcoming", a)) for a in (big, mid)),
            timeout=120,
        )
    for acct in (big, mid):
        changed = _of(got, "risk_changed", acct)[0]
        assert changed["at_risk"] and changed["days_to_renewal"] == 100  # raised before any 90-day window
    escalated = _of(near, "risk_escalated", big)
    assert escalated and escalated[0]["tier"] == "strategic" and escalated[0]["escalate_within_days"] == 120
    assert _of(near, "risk_escalated", mid) == []  # mid escalates at 30 days
    tasks = {a: [p["renewal_task"] for p in _of(near, "renewal_upcoming", a)] for a in (big, mid)}
    assert set(tasks[big]) == {True} and set(tasks[mid]) == {False}


async def test_the_timeliness_report_names_late_renewals_per_owner(http, kafka_bootstrap, run_id) -> None:
    acct = f"late-{run_id}"
    await put_contract(http, contract(f"c-{acct}", acct, -5))  # ended five days ago, never closed
    r = await http.get("/v1/reports/timeliness", params={"from": str(today() - timedelta(days=10))}, headers=VIEWER)
    assert r.status_code == 200, r.text
    failures = [f for o in r.json()["owners"] for f in o["failures"] if f["account_id"] == acct]
    assert len(failures) == 1 and failures[0]["days_late"] == 5 and failures[0]["closed"] is False
    bad = await http.get("/v1/reports/timeliness", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=CSM)
    assert bad.status_code == 422 and "to" in bad.json()["message"]

"""Every health handler, called directly on the migrated schema inside a rolled-back transaction:
rollups summed per (account, day, event), users per day, milestone hits, signal tables latest-wins,
the discount of a deal, and every touched account queued for a re-score. Plus the re-score use case
on the same connection: the milestone it announces once, through the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from pydantic import SecretStr

from bellwether_shared.events import ingest as iev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from health import repository
from health.handlers import handlers, make_handler
from health.recompute import recompute
from health.settings import HealthSettings
from tests.support.db import rolled_back
from tests.support.events import usage_envelope

NOW = datetime.now(UTC)
COVERED = {
    iev.UsageRecorded.event_type, iev.AccountUpserted.event_type, iev.NpsSubmitted.event_type,
    iev.DealClosedWon.event_type, iev.TicketChanged.event_type, iev.ContactChanged.event_type,
    iev.OnboardingConfirmed.event_type, iev.GoalUpdated.event_type, iev.AccountLifecycleChanged.event_type,
    iev.UserJoinedAccount.event_type,
}  # fmt: skip


def rec(event: Event) -> Consumed:
    env = event.envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
    return Consumed(env, 0, 0, orjson.loads(env.data))


def usage(account: str, event: str, user: str, at: datetime = NOW) -> Consumed:
    env = usage_envelope(str(uuid.uuid4()), account, event=event, user=user, timestamp=at)
    return Consumed(env, 0, 0, orjson.loads(env.data))


def sig(account: str, **kw: Any) -> dict[str, Any]:
    return {"message_id": uuid.uuid4().hex, "source_id": "s", "account_id": account, "received_at": NOW,
            "occurred_at": kw.pop("occurred_at", NOW), **kw}  # fmt: skip


async def handle(conn: asyncpg.Connection, *records: Consumed) -> None:
    await make_handler(coalesce_ms=0)(conn, list(records))


async def test_usage_is_summed_per_day_event_and_user_and_hits_milestones(health_db, run_id) -> None:
    acct = f"hh-use-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        await conn.execute(
            "INSERT INTO milestone_defs (key, definition) VALUES ($1, $2)", f"m-{run_id}",
            {"key": f"m-{run_id}", "name": "First export", "event": f"Export-{run_id}", "threshold": 1,
             "window_days": 30, "deadline_days": 30},
        )  # fmt: skip
        await handle(conn, usage(acct, f"Export-{run_id}", "u1"), usage(acct, f"Export-{run_id}", "u1"),
                     usage(acct, "Login", "u2"), usage(acct, "Login", "u2", at=NOW - timedelta(days=1)))  # fmt: skip
        daily = await conn.fetch("SELECT day, event, events FROM usage_daily WHERE account_id = $1 ORDER BY 1, 2", acct)
        users = await conn.fetch("SELECT user_id, events FROM user_days WHERE account_id = $1 AND day = $2 ORDER BY 1",
                                 acct, NOW.date())  # fmt: skip
        hits = await conn.fetchval("SELECT sum(hits) FROM milestone_hits WHERE account_id = $1", acct)
        queued = await conn.fetchval("SELECT count(*) FROM recompute_queue WHERE account_id = $1", acct)
        # the re-score on the same connection: the milestone is achieved and announced once
        settings = HealthSettings(database_url="postgresql://x@h/x", kafka_bootstrap_servers="h:1",
                                  api_token=SecretStr("t" * 32))  # type: ignore[call-arg]  # fmt: skip
        for _ in range(2):
            async with repository.unit(conn) as uow:
                await recompute(uow, claimed=[(acct, None)], settings=settings)
        announced = await conn.fetch(
            "SELECT event_type FROM outbox WHERE subject = $1 AND event_type LIKE '%milestone%'", acct
        )
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    assert [(r["day"], r["event"], r["events"]) for r in daily] == [
        (yesterday, "Login", 1), (today, f"Export-{run_id}", 2), (today, "Login", 1),
    ]  # fmt: skip
    assert [(u["user_id"], u["events"]) for u in users] == [("u1", 2), ("u2", 1)]
    assert hits == 2 and queued == 1
    assert [a["event_type"] for a in announced] == ["bellwether.health.milestone_achieved.v1"]


async def test_signals_are_kept_latest_wins_and_queue_a_rescore(health_db, run_id) -> None:
    acct = f"hh-sig-{run_id}"
    q = iev.Qualification(
        problem_severity=4, expected_duration_months=24, buying_department_fit=True, champion_fit=True,
        technology_ready=True, services_sold_hours=1, services_needed_hours=1,
    )  # fmt: skip
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), tier="gold", seats=10)),
            rec(iev.AccountUpserted(**sig(acct, occurred_at=NOW - timedelta(hours=1)), tier="old", seats=1)),
            rec(iev.NpsSubmitted(**sig(acct), contact_id="c1", score=9)),
            rec(iev.NpsSubmitted(**sig(acct, occurred_at=NOW - timedelta(days=1)), contact_id="c1", score=2)),
            rec(iev.TicketChanged(**sig(acct), ticket_id="t1", status="opened", severity="high", bug_linked=True)),
            rec(iev.ContactChanged(**sig(acct), contact_id="c1", influence="high", is_champion=True)),
            rec(iev.OnboardingConfirmed(**sig(acct), aspect="technical", confirmed_by="ops")),
            rec(iev.GoalUpdated(**sig(acct), goal_id="g1", name="Cut churn", status="met")),
            rec(iev.DealClosedWon(**sig(acct), deal_id="d", arr=45, list_price=60, term_months=12, qualification=q)),
        )
        account = await conn.fetchrow("SELECT tier, seats, discount_pct FROM accounts WHERE account_id = $1", acct)
        nps = await conn.fetchval("SELECT score FROM nps_responses WHERE account_id = $1", acct)
        ticket = await conn.fetchrow("SELECT severity, bug_linked FROM tickets WHERE account_id = $1", acct)
        contact = await conn.fetchval("SELECT influence FROM contacts WHERE account_id = $1", acct)
        onboarding = await conn.fetchval("SELECT aspect FROM onboarding WHERE account_id = $1", acct)
        goal = await conn.fetchval("SELECT status FROM goals WHERE account_id = $1", acct)
        queued = await conn.fetchval("SELECT count(*) FROM recompute_queue WHERE account_id = $1", acct)
    assert (account["tier"], account["seats"], account["discount_pct"]) == ("gold", 10, 25.0)
    assert nps == 9 and (ticket["severity"], ticket["bug_linked"]) == ("high", True) and contact == "high"
    assert onboarding == "technical" and goal == "met" and queued == 1


async def test_membership_queues_the_account_and_unknown_types_are_skipped(health_db, run_id) -> None:
    acct = f"hh-mem-{run_id}"
    joined = iev.UserJoinedAccount(message_id="m", source_id="s", account_id=acct, received_at=NOW, user_id="u",
                                   timestamp=NOW, via="group")  # fmt: skip
    async with rolled_back(health_db.url, schema="health") as conn:
        other = Consumed(rec(joined).envelope.__class__(id="x", type="bellwether.other.v1", source="s", topic="t",
                                                        data=b"{}"), 0, 0, {"account_id": f"{acct}-other"})  # fmt: skip
        await handle(conn, rec(joined), other)
        queued = await conn.fetch("SELECT account_id FROM recompute_queue WHERE account_id LIKE $1", f"{acct}%")
    assert [q["account_id"] for q in queued] == [acct]
    assert handlers.event_types == COVERED, f"handlers without a test here: {handlers.event_types - COVERED}"

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

from bellwether_shared.events import ingest as iev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from devkit.events import deletion, signal_fields, usage_envelope
from health import repository
from health.facts import facts_of
from health.handlers import handlers, make_handler
from health.recompute import recompute
from health.settings import HealthSettings
from tests.support.db import rolled_back
from tests.support.traces import scan

NOW = datetime.now(UTC)
COVERED = {
    iev.UsageRecorded.event_type,
    iev.AccountUpserted.event_type,
    iev.NpsSubmitted.event_type,
    iev.DealClosedWon.event_type,
    iev.DealClosedWonV2.event_type,
    iev.TicketChanged.event_type,
    iev.ContactChanged.event_type,
    iev.OnboardingConfirmed.event_type,
    iev.GoalUpdated.event_type,
    iev.AccountLifecycleChanged.event_type,
    iev.UserJoinedAccount.event_type,
    iev.UserIdentified.event_type,
    iev.ProblemRecorded.event_type,
    iev.ValueReviewRecorded.event_type,
    iev.FeatureRequestStatusChanged.event_type,
    rev.RenewalClosed.event_type,
    iev.UserDeleted.event_type,
}
SETTINGS = HealthSettings(
    database_url="postgresql://x@h/x", kafka_bootstrap_servers="h:1", api_token=SecretStr("t" * 32)
)  # type: ignore[call-arg]


def rec(event: Event) -> Consumed:
    env = event.envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
    return Consumed(env, 0, 0, orjson.loads(env.data))


def usage(account: str, event: str, user: str, at: datetime = NOW) -> Consumed:
    env = usage_envelope(str(uuid.uuid4()), account, event=event, user=user, timestamp=at)
    return Consumed(env, 0, 0, orjson.loads(env.data))


def sig(account: str, **kw: Any) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex,
        "source_id": "s",
        "account_id": account,
        "received_at": NOW,
        "occurred_at": kw.pop("occurred_at", NOW),
        **kw,
    }


async def handle(conn: asyncpg.Connection, *records: Consumed) -> None:
    await make_handler(coalesce_ms=0)(conn, list(records))


async def test_usage_is_summed_per_day_event_and_user_and_hits_milestones(health_db, run_id) -> None:
    acct = f"hh-use-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        await conn.execute(
            "INSERT INTO milestone_defs (key, definition) VALUES ($1, $2)",
            f"m-{run_id}",
            {
                "key": f"m-{run_id}",
                "name": "First export",
                "event": f"Export-{run_id}",
                "threshold": 1,
                "window_days": 30,
                "deadline_days": 30,
            },
        )
        await handle(
            conn,
            usage(acct, f"Export-{run_id}", "u1"),
            usage(acct, f"Export-{run_id}", "u1"),
            usage(acct, "Login", "u2"),
            usage(acct, "Login", "u2", at=NOW - timedelta(days=1)),
        )
        daily = await conn.fetch("SELECT day, event, events FROM usage_daily WHERE account_id = $1 ORDER BY 1, 2", acct)
        users = await conn.fetch(
            "SELECT user_id, events FROM user_days WHERE account_id = $1 AND day = $2 ORDER BY 1", acct, NOW.date()
        )
        hits = await conn.fetchval("SELECT sum(hits) FROM milestone_hits WHERE account_id = $1", acct)
        queued = await conn.fetchval("SELECT count(*) FROM recompute_queue WHERE account_id = $1", acct)
        # the re-score on the same connection: the milestone is achieved and announced once
        settings = HealthSettings(
            database_url="postgresql://x@h/x", kafka_bootstrap_servers="h:1", api_token=SecretStr("t" * 32)
        )  # type: ignore[call-arg]
        for _ in range(2):
            async with repository.unit(conn) as uow:
                await recompute(uow, claimed=[(acct, None)], settings=settings)
        announced = await conn.fetch(
            "SELECT event_type FROM outbox WHERE subject = $1 AND event_type LIKE '%milestone%'", acct
        )
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    assert [(r["day"], r["event"], r["events"]) for r in daily] == [
        (yesterday, "Login", 1),
        (today, f"Export-{run_id}", 2),
        (today, "Login", 1),
    ]
    assert [(u["user_id"], u["events"]) for u in users] == [("u1", 2), ("u2", 1)]
    assert hits == 2 and queued == 1
    assert [a["event_type"] for a in announced] == ["bellwether.health.milestone_achieved.v1"]


async def test_signals_are_kept_latest_wins_and_queue_a_rescore(health_db, run_id) -> None:
    acct = f"hh-sig-{run_id}"
    q = iev.Qualification(
        problem_severity=4,
        expected_duration_months=24,
        buying_department_fit=True,
        champion_fit=True,
        technology_ready=True,
        services_sold_hours=1,
        services_needed_hours=1,
    )
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
        v2 = f"{acct}-v2"
        await handle(conn, rec(iev.DealClosedWonV2(**sig(v2), deal_id="d2", arr=40, list_price=50, term_months=12)))
        discount_v2 = await conn.fetchval("SELECT discount_pct FROM accounts WHERE account_id = $1", v2)
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
    assert round(discount_v2, 6) == 20.0  # a deal without the hand-off answers still gives the discount


async def test_the_last_value_review_held_is_the_facts_verdict_as_of_a_day(health_db, run_id) -> None:
    """The value-review measure reads the latest review held (not the latest recorded); scored as of an
    earlier day, the review held then."""
    acct = f"hh-vr-{run_id}"

    def review(review_id: str, days_ago: int, outcome: Any) -> Consumed:
        held = NOW.date() - timedelta(days=days_ago)
        return rec(iev.ValueReviewRecorded(**sig(acct), review_id=review_id, reviewed_on=held, outcome=outcome))

    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(conn, review("q4", 5, "missed"), review("q3", 40, "met"))  # the older one arrives last
        now = await facts_of(conn, [acct], today=NOW.date(), settings=SETTINGS)
        then = await facts_of(conn, [acct], today=NOW.date() - timedelta(days=10), settings=SETTINGS, as_of=True)
    assert [(r["outcome"], (NOW.date() - r["reviewed_on"]).days) for r in now[acct]["value_review"]] == [("missed", 5)]
    assert [r["outcome"] for r in then[acct]["value_review"]] == ["met"]


async def test_the_value_ladder_is_a_baseline_then_each_move_once(health_db, run_id) -> None:
    """Placed on the ladder at its first score (announced with no previous rung, for the account view);
    a promoter moves it a rung up, announced once; a re-score that changes nothing says nothing."""
    acct = f"hh-ladder-{run_id}"
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), tier="mid", seats=10)),
            usage(acct, "Report Run", "u1"),
            usage(acct, "Report Run", "u2"),
            rec(iev.GoalUpdated(**sig(acct), goal_id="g1", name="Cut churn", status="met")),
        )
        first = await _rescore(conn, acct)
        await handle(conn, rec(iev.NpsSubmitted(**sig(acct), contact_id="c1", score=10)))
        moved = await _rescore(conn, acct)
        again = await _rescore(conn, acct)
        kept = await conn.fetchrow("SELECT rung, step, reason FROM value_standing WHERE account_id = $1", acct)

    def ladder(rows: list[asyncpg.Record]) -> list[tuple[str, int, str | None, str]]:
        said = [orjson.loads(r["payload"]) for r in rows if r["event_type"].endswith("value_ladder_changed.v1")]
        return [(e["rung"], e["step"], e["previous_rung"], e["reason"]) for e in said]

    assert ladder(first) == [("goals_met", 3, None, "all 1 goals met; no promoter nor exceeded review yet")]
    assert ladder(moved) == [("value_others_see", 4, "goals_met", "all 1 goals met; 1 promoter")]
    assert ladder(again) == []
    assert (kept["rung"], kept["step"], kept["reason"]) == ("value_others_see", 4, "all 1 goals met; 1 promoter")


async def _rescore(conn: asyncpg.Connection, acct: str) -> list[asyncpg.Record]:
    """One re-score on the same connection; the events it put in the outbox."""
    before = await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
    async with repository.unit(conn) as uow:
        await recompute(uow, claimed=[(acct, None)], settings=SETTINGS)
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT event_type, payload FROM outbox WHERE subject = $1 AND id > $2 ORDER BY id", acct, before
    )
    return rows


async def test_champions_goals_problems_requests_and_reviews_are_kept_and_assessed(health_db, run_id) -> None:
    """Every new signal lands in its table; the re-score places each contact, counts healthy influential
    champions, computes goal progress from a linked usage event, and announces what changed, once."""
    acct = f"hh-champ-{run_id}"
    linked_user, mail_user = f"u-vp-{run_id}", f"u-dir-{run_id}"
    usage_days = [usage(acct, "Report Exported", linked_user, at=NOW - timedelta(days=d)) for d in range(10)]
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(
                iev.AccountUpserted(
                    **sig(acct), tier="mid", seats=10, lifecycle_stage="adopting", owners=iev.Owners(csm="csm-1")
                )
            ),
            rec(
                iev.ContactChanged(
                    **sig(acct),
                    contact_id="vp",
                    title="VP Operations",
                    seniority="vp",
                    user_id=linked_user,
                    is_champion=True,
                )
            ),
            rec(iev.ContactChanged(**sig(acct), contact_id="dir", title="Director IT", email="Dir@Acme.test")),
            rec(
                iev.UserIdentified(
                    message_id="m1",
                    source_id="s",
                    account_id=None,
                    received_at=NOW,
                    user_id=mail_user,
                    timestamp=NOW,
                    traits={"email": "dir@acme.test"},
                )
            ),
            rec(iev.NpsSubmitted(**sig(acct), contact_id="vp", score=10, comment="Love the weekly report")),
            rec(
                iev.TicketChanged(
                    **sig(acct, occurred_at=NOW - timedelta(days=5)),
                    ticket_id="t1",
                    status="opened",
                    severity="medium",
                    requester_contact_id="vp",
                )
            ),
            rec(
                iev.TicketChanged(
                    **sig(acct, occurred_at=NOW - timedelta(days=4)), ticket_id="t1", status="closed", severity="medium"
                )
            ),
            rec(
                iev.FeatureRequestStatusChanged(
                    **sig(acct),
                    request_id=f"r-{run_id}",
                    title="SSO",
                    status="open",
                    blocking=True,
                    kind="feature",
                    contact_id="dir",
                )
            ),
            rec(iev.ProblemRecorded(**sig(acct), problem_id="p1", description="Manual weekly reporting", severity=4)),
            rec(
                iev.ValueReviewRecorded(
                    **sig(acct), review_id="q3", reviewed_on=NOW.date(), outcome="partially_met", goal_ids=["g1"]
                )
            ),
            rec(
                iev.GoalUpdated(
                    **sig(acct),
                    goal_id="g1",
                    name="Weekly reports",
                    status="in_progress",
                    baseline=0,
                    target_value=20,
                    linked_event="Report Exported",
                    linked_window_days=30,
                    due_date=NOW.date() + timedelta(days=30),
                )
            ),
            *usage_days,
        )
        ticket = await conn.fetchrow(
            "SELECT requester_contact_id, opened_at, closed_at FROM tickets WHERE account_id = $1", acct
        )
        linked = await conn.fetchval("SELECT email FROM user_emails WHERE user_id = $1", mail_user)
        stored = await conn.fetchrow("SELECT lifecycle_stage, csm_id FROM accounts WHERE account_id = $1", acct)
        first = await _rescore(conn, acct)
        placed = {
            r["contact_id"]: r for r in await conn.fetch("SELECT * FROM contact_health WHERE account_id = $1", acct)
        }
        coverage = await conn.fetchrow("SELECT * FROM champion_coverage WHERE account_id = $1", acct)
        goal = await conn.fetchrow(
            "SELECT computed_status, progress_pct, computed_value FROM goals WHERE account_id = $1", acct
        )
        quiet = await _rescore(conn, acct)  # nothing changed: nothing announced
        # the VP turns unhappy: a detractor score with an angry comment, and a ticket left open for 10 days
        await handle(
            conn,
            rec(
                iev.NpsSubmitted(
                    **sig(acct, occurred_at=NOW + timedelta(seconds=1)),
                    contact_id="vp",
                    score=3,
                    comment="Terrible support, nobody answers",
                )
            ),
            rec(
                iev.TicketChanged(
                    **sig(acct, occurred_at=NOW - timedelta(days=10)),
                    ticket_id="t2",
                    status="opened",
                    severity="high",
                    requester_contact_id="vp",
                )
            ),
        )
        worse = await _rescore(conn, acct)
    assert ticket["requester_contact_id"] == "vp" and ticket["closed_at"] - ticket["opened_at"] == timedelta(days=1)
    assert linked == "dir@acme.test" and (stored["lifecycle_stage"], stored["csm_id"]) == ("adopting", "csm-1")
    assert placed["vp"]["quadrant"] == "engaged_delighted" and placed["vp"]["influential"]
    assert placed["vp"]["reasons"][0].startswith("the VP Operations is engaged and delighted: used the product")
    assert placed["dir"]["influence"] == "medium" and placed["dir"]["quadrant"] == "unknown"
    assert (coverage["healthy_influential"], coverage["target"]) == (1, 2)  # tier "mid": two wanted
    assert (goal["computed_status"], goal["progress_pct"], goal["computed_value"]) == ("in_progress", 50.0, 10.0)
    types = [r["event_type"].split(".")[2] for r in first]
    assert types.count("contact_assessed") == 2 and "champion_coverage_changed" in types
    assert "goal_progress_changed" in types and "champion_at_risk" not in types
    assert [r["event_type"] for r in quiet if "champion" in r["event_type"] or "contact" in r["event_type"]] == []
    risk = [orjson.loads(r["payload"]) for r in worse if r["event_type"].endswith("champion_at_risk.v1")]
    assert len(risk) == 1 and risk[0]["label"] == "the VP Operations" and risk[0]["old_quadrant"] == "engaged_delighted"
    assert (
        "not delighted" in risk[0]["why"][0] and "NPS 3" in risk[0]["why"][0] and "1 slow ticket" in risk[0]["why"][0]
    )
    cov = [orjson.loads(r["payload"]) for r in worse if r["event_type"].endswith("coverage_changed.v1")]
    assert [c["healthy_influential"] for c in cov] == [0]


async def test_membership_queues_the_account_and_unknown_types_are_skipped(health_db, run_id) -> None:
    acct = f"hh-mem-{run_id}"
    joined = iev.UserJoinedAccount(
        message_id="m", source_id="s", account_id=acct, received_at=NOW, user_id="u", timestamp=NOW, via="group"
    )
    async with rolled_back(health_db.url, schema="health") as conn:
        other = Consumed(
            rec(joined).envelope.__class__(id="x", type="bellwether.other.v1", source="s", topic="t", data=b"{}"),
            0,
            0,
            {"account_id": f"{acct}-other"},
        )
        await handle(conn, rec(joined), other)
        queued = await conn.fetch("SELECT account_id FROM recompute_queue WHERE account_id LIKE $1", f"{acct}%")
    assert [q["account_id"] for q in queued] == [acct]
    assert handlers.event_types == COVERED, f"handlers without a test here: {handlers.event_types - COVERED}"


async def test_an_account_ready_to_grow_is_announced_once(health_db, run_id) -> None:
    acct = f"hh-grow-{run_id}"
    recent = [usage(acct, "Report Exported", f"u{i}", at=NOW - timedelta(days=3)) for i in range(9)]
    earlier = [usage(acct, "Report Exported", f"u{i}", at=NOW - timedelta(days=40)) for i in range(6)]
    vp_days = [usage(acct, "Report Exported", "u0", at=NOW - timedelta(days=d)) for d in range(8)]
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), tier="scale", seats=10)),
            rec(
                iev.ContactChanged(
                    **sig(acct), contact_id="vp", title="VP Sales", seniority="vp", user_id="u0", is_champion=True
                )
            ),
            rec(iev.NpsSubmitted(**sig(acct), contact_id="vp", score=10)),
            rec(iev.GoalUpdated(**sig(acct), goal_id="g", name="Pipeline visibility", status="met")),
            *recent,
            *earlier,
            *vp_days,
        )
        first = await _rescore(conn, acct)
        again = await _rescore(conn, acct)
        state = await conn.fetchrow(
            "SELECT ready, growth_type, reasons FROM expansion_state WHERE account_id = $1", acct
        )
    ready = [orjson.loads(r["payload"]) for r in first if r["event_type"].endswith("expansion_ready.v1")]
    assert len(ready) == 1 and ready[0]["growth_type"] == "organic_seats" and ready[0]["active_users"] == 9
    assert "9 of 10 seats active" in ready[0]["reasons"] and "active users up 50 %" in ready[0]["reasons"]
    assert not [r for r in again if r["event_type"].endswith("expansion_ready.v1")]  # once
    assert state["ready"] and state["growth_type"] == "organic_seats"


async def test_onboarding_not_confirmed_after_the_expected_days_is_announced_once(health_db, run_id) -> None:
    late, fresh, done = (f"hh-onb{i}-{run_id}" for i in range(3))
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(late), onboarding_started_at=NOW.date() - timedelta(days=75))),
            rec(iev.AccountUpserted(**sig(fresh), onboarding_started_at=NOW.date() - timedelta(days=20))),
            rec(iev.AccountUpserted(**sig(done), onboarding_started_at=NOW.date() - timedelta(days=75))),
            rec(iev.OnboardingConfirmed(**sig(done), aspect="technical", confirmed_by="x")),
            rec(iev.OnboardingConfirmed(**sig(done), aspect="process", confirmed_by="x")),
        )
        said = {
            a: [r for r in await _rescore(conn, a) if r["event_type"].endswith("onboarding_overdue.v1")]
            for a in (late, fresh, done)
        }
        again = [r for r in await _rescore(conn, late) if r["event_type"].endswith("onboarding_overdue.v1")]
    assert len(said[late]) == 1 and orjson.loads(said[late][0]["payload"])["days_since_kickoff"] == 75
    assert said[fresh] == [] and said[done] == [] and again == []


async def test_a_closed_renewal_is_kept_once_as_an_outcome_and_moves_no_score(health_db, run_id) -> None:
    acct, opp = f"hh-out-{run_id}", f"renewal-{run_id}"
    first = rev.RenewalClosed(
        account_id=acct,
        opportunity_id=opp,
        outcome="renewed",
        arr=10_000,
        arr_change=0,
        closed_at=NOW - timedelta(days=2),
        renewal_date=(NOW - timedelta(days=3)).date(),
    )
    again = first.model_copy(update={"outcome": "churned", "closed_at": NOW})  # reopened, then closed as churned
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(conn, rec(again), rec(first), rec(first))  # the later close wins whatever the order
        rows = await conn.fetch("SELECT outcome, renewal_date FROM renewal_outcomes WHERE opportunity_id = $1", opp)
        queued = await conn.fetchval("SELECT count(*) FROM recompute_queue WHERE account_id = $1", acct)
    assert [(r["outcome"], r["renewal_date"]) for r in rows] == [("churned", first.renewal_date)]
    assert queued == 0


async def test_a_deleted_user_is_forgotten_and_their_counts_stay_anonymous(health_db, run_id) -> None:
    acct, user, contact = f"hd-{run_id}", f"usr-{run_id}", f"ct-{run_id}"
    name, email = f"Ottilie {run_id}", f"o.{run_id}@example.com"
    async with rolled_back(health_db.url, schema="health") as conn:
        await handle(
            conn,
            rec(
                iev.UserIdentified(
                    message_id="i",
                    source_id="s",
                    account_id=None,
                    received_at=NOW,
                    user_id=user,
                    timestamp=NOW,
                    traits={"email": email},
                )
            ),
            rec(iev.ContactChanged(**signal_fields(acct), contact_id=contact, name=name, email=email.upper())),
            rec(iev.NpsSubmitted(**signal_fields(acct), contact_id=contact, score=3, comment=f"{name}: slow")),
            usage(acct, "Report Exported", user),
            usage(acct, "Report Exported", user),
        )
        assert await scan(conn, "health", [user, contact, name, email]), "the person was there"
        await handle(conn, deletion(user))  # linked by e-mail: the contact goes too, unnamed in the request
        assert await scan(conn, "health", [user, contact, name, email]) == {}
        assert await conn.fetchval("SELECT sum(events) FROM user_days WHERE account_id = $1", acct) == 2
        assert await conn.fetchval("SELECT score FROM nps_responses WHERE account_id = $1", acct) == 3

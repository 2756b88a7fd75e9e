"""Every account-view handler, called directly on the migrated schema inside a rolled-back transaction:
one account's life across all four topics becomes its whole view and its timeline, once however often
the events are handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from accounts import query_repository as queries
from accounts.domain import view
from accounts.handlers import PROJECT, handlers, make_handler
from bellwether_shared.events import health as hev, ingest as iev, notifications as nev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from devkit.events import consumed, deletion, signal_fields
from tests.support.db import rolled_back
from tests.support.traces import scan

NOW = datetime.now(UTC)
TODAY = NOW.date()


def rec(event: Event, at: datetime = NOW) -> Consumed:
    return consumed(event, at)


def sig(account: str, at: datetime = NOW) -> dict[str, Any]:
    return signal_fields(account, at)


def touch(account: str, touch_id: str, days_ago: int) -> dict[str, Any]:
    return sig(account) | {"touch_id": touch_id, "held_on": TODAY - timedelta(days=days_ago)}


def life(acct: str) -> list[Consumed]:
    """An account's life: every event type the view consumes, once."""
    q = iev.Qualification(
        problem_severity=4,
        expected_duration_months=24,
        buying_department_fit=True,
        champion_fit=True,
        technology_ready=True,
        services_sold_hours=1,
        services_needed_hours=1,
    )
    risk = [rev.RiskReason(factor="no_healthy_champion", points=20, text="no healthy influential champion")]
    earlier = NOW - timedelta(days=2)
    return [
        rec(
            iev.AccountUpserted(
                **sig(acct, earlier),
                name="Acme",
                tier="strategic",
                arr=120_000,
                owners=iev.Owners(csm="cara", ae="abe"),
                growth_potential="high",
            ),
            earlier,
        ),
        rec(iev.ContactChanged(**sig(acct), contact_id="vp", name="Ana", title="VP Operations", is_champion=True)),
        rec(iev.NpsSubmitted(**sig(acct), contact_id="vp", score=4, comment="Reports keep breaking")),
        rec(
            iev.TicketChanged(
                **sig(acct), ticket_id="t1", status="opened", severity="high", subject_line="Export fails"
            )
        ),
        rec(
            iev.GoalUpdated(
                **sig(acct, earlier),
                goal_id="g1",
                name="Weekly reports",
                status="in_progress",
                baseline=0,
                target_value=20,
            ),
            earlier,
        ),
        rec(iev.ProblemRecorded(**sig(acct), problem_id="p1", description="Manual reporting", severity=4)),
        rec(iev.ValueReviewRecorded(**sig(acct), review_id="q4", reviewed_on=TODAY, outcome="partially_met")),
        rec(iev.TouchRecorded(**touch(acct, "qbr1", 30), kind="business_review", outcome="done")),
        rec(iev.TouchRecorded(**touch(acct, "ci1", 20), kind="check_in", outcome="done")),
        rec(iev.TouchRecorded(**touch(acct, "ci2", 10), kind="check_in", outcome="missed")),
        rec(
            rev.TouchOverdue(
                account_id=acct,
                kind="check_in",
                due_on=TODAY - timedelta(days=6),
                days_overdue=6,
                last_done=TODAY - timedelta(days=20),
                engagement_model="high_touch",
                engagement_reason="strategic tier: high touch",
                owner_id="cara",
            )
        ),
        rec(
            hev.ValueLadderChanged(
                account_id=acct,
                rung="problem_solved",
                step=2,
                previous_rung="uses_it",
                reason="4 active users in 30 days; 1 goal met; 1 of 2 goals not met",
                assessed_at=NOW,
            )
        ),
        rec(  # an older standing, delivered late: history in the timeline, not the account's rung
            hev.ValueLadderChanged(
                account_id=acct, rung="uses_it", step=1, previous_rung=None, reason="earlier", assessed_at=earlier
            )
        ),
        rec(iev.FeatureRequestStatusChanged(**sig(acct), request_id="r1", title="SSO", status="shipped")),
        rec(iev.OnboardingConfirmed(**sig(acct), aspect="technical", confirmed_by="vp")),
        rec(
            iev.DealClosedWon(
                **sig(acct), deal_id="D1", arr=120_000, list_price=150_000, term_months=12, qualification=q
            )
        ),
        rec(
            hev.HealthScoreChanged(
                account_id=acct,
                old_value=71.0,
                new_value=38.0,
                old_colour="green",
                new_colour="red",
                delta=-33.0,
                sufficient=True,
                scorecard_id="default",
                scorecard_version=2,
                computed_at=NOW,
                reasons=[hev.Reason(key="champion", delta=-20, text="champion: 100 → 0")],
            )
        ),
        rec(
            hev.HealthColourChanged(
                account_id=acct, old_colour="green", new_colour="red", value=38.0, reasons=[], computed_at=NOW
            )
        ),
        rec(
            hev.MilestoneAchieved(
                account_id=acct, milestone_key="first", name="First export", achieved_on=TODAY, time_to_value_days=12
            )
        ),
        rec(
            hev.MilestoneMissed(
                account_id=acct, milestone_key="habit", name="Weekly habit", deadline=TODAY, is_key=True
            )
        ),
        rec(
            hev.ContactAssessed(
                account_id=acct,
                contact_id="vp",
                label="the VP Operations",
                engagement=80,
                delight=30,
                influence="high",
                quadrant="engaged_not_delighted",
                healthy=False,
                influential=True,
                why=["the VP Operations is engaged but not delighted: NPS 4"],
                assessed_at=NOW,
            )
        ),
        rec(
            hev.ChampionAtRisk(
                account_id=acct,
                contact_id="vp",
                label="the VP Operations",
                old_quadrant="engaged_delighted",
                new_quadrant="engaged_not_delighted",
                influence="high",
                why=["the VP Operations is engaged but not delighted: NPS 4"],
                assessed_at=NOW,
            )
        ),
        rec(hev.ChampionCoverageChanged(account_id=acct, healthy_influential=0, target=3, assessed_at=NOW)),
        rec(
            hev.GoalProgressChanged(
                account_id=acct,
                goal_id="g1",
                name="Weekly reports",
                old_status=None,
                status="partially_met",
                progress_pct=60,
                current_value=12,
                target_value=20,
                due_date=TODAY,
                computed_at=NOW,
            )
        ),
        rec(
            hev.ExpansionReady(
                account_id=acct,
                growth_type="organic_seats",
                reasons=["9 of 10 seats active"],
                seats=10,
                active_users=9,
                assessed_at=NOW,
            )
        ),
        rec(
            rev.ContractChanged(
                account_id=acct,
                contract_id="D1",
                start_date=TODAY - timedelta(days=300),
                end_date=TODAY + timedelta(days=65),
                arr=120_000,
                deal_id="D1",
            )
        ),
        rec(
            rev.OpportunityCreated(
                account_id=acct,
                opportunity_id="renewal-D1",
                kind="renewal",
                contract_id="D1",
                renewal_date=TODAY + timedelta(days=65),
                arr=120_000,
                owner_id="cara",
                owner_role="csm",
            )
        ),
        rec(
            rev.RenewalUpcoming(
                account_id=acct,
                opportunity_id="renewal-D1",
                renewal_date=TODAY + timedelta(days=65),
                days_to_renewal=65,
                window=90,
                arr=120_000,
                owner_id="cara",
                owner_role="csm",
                at_risk=False,
            )
        ),
        rec(
            rev.RenewalRiskAssessed(
                account_id=acct,
                opportunity_id="renewal-D1",
                at_risk=False,
                level="low",
                points=20,
                renewal_date=TODAY + timedelta(days=65),
                days_to_renewal=65,
                arr=120_000,
                owner_id="cara",
                reasons=risk,
            )
        ),
        rec(
            rev.RenewalRiskChanged(
                account_id=acct,
                opportunity_id="renewal-D1",
                at_risk=True,
                level="high",
                points=60,
                renewal_date=TODAY + timedelta(days=65),
                days_to_renewal=65,
                arr=120_000,
                owner_id="cara",
                reasons=risk,
            )
        ),
        rec(
            rev.OwnershipChanged(
                account_id=acct,
                opportunity_id=None,
                role="renewal_owner",
                old_owner_id=None,
                new_owner_id="rita",
                reason="renewals team",
                actor="a",
            )
        ),
        rec(
            rev.HandoffReviewOpened(
                account_id=acct, deal_id="D1", score=90, band="good", flags=[], ae="abe", lead_source=None
            )
        ),
        rec(
            rev.HandoffReviewScored(
                account_id=acct,
                deal_id="D2",
                score=None,
                band="answers_missing",
                flagged=False,
                flags=[],
                previous_band=None,
                scored_by="sync",
                ae="abe",
                lead_source=None,
            )
        ),
        rec(iev.DealClosedWonV2(**sig(acct), deal_id="D2", arr=1_000, list_price=1_000, term_months=12)),
        rec(
            rev.RenewalRiskEscalated(
                account_id=acct,
                opportunity_id="renewal-D1",
                tier="strategic",
                escalate_within_days=120,
                level="high",
                points=60,
                renewal_date=TODAY + timedelta(days=65),
                days_to_renewal=65,
                arr=120_000,
                owner_id="cara",
                reasons=risk,
            )
        ),
        rec(
            rev.RequestShipped(
                account_id=acct,
                request_id="r1",
                title="SSO",
                kind="feature",
                urgency="urgent",
                renewal_date=TODAY + timedelta(days=65),
                days_to_renewal=65,
                arr=120_000,
            )
        ),
        rec(rev.DealAccepted(account_id=acct, deal_id="D1", accepted_by="cara")),
        rec(
            rev.DealRejectionProposed(account_id=acct, deal_id="D0", proposed_by="cara", failed_criteria=[], note=None)
        ),
        rec(rev.DealRejected(account_id=acct, deal_id="D0", proposed_by="cara", approved_by="vic", failed_criteria=[])),
        rec(rev.DealRejectionDeclined(account_id=acct, deal_id="D9", declined_by="vic", note=None)),
        rec(
            rev.RenewalClosed(
                account_id=acct,
                opportunity_id="renewal-D0",
                outcome="renewed",
                arr=10_000,
                arr_change=0,
                closed_at=NOW - timedelta(days=400),
            )
        ),
        rec(
            hev.OnboardingOverdue(
                account_id=acct,
                onboarding_started_at=TODAY - timedelta(days=70),
                days_since_kickoff=70,
                confirmed=["technical"],
            )
        ),
        rec(
            nev.TaskOpened(
                account_id=acct,
                task_id="t-open",
                playbook_id="renewal-at-risk",
                title="At risk: Acme",
                owner_id="rita",
                priority="high",
                due_at=NOW + timedelta(days=10),
                why="rule",
                steps=["a"],
                opened_at=NOW,
            )
        ),
        rec(
            nev.TaskOpened(
                account_id=acct,
                task_id="t-done",
                playbook_id="champion-left",
                title="Left: Acme",
                owner_id="cara",
                priority="high",
                due_at=NOW + timedelta(days=14),
                why="rule",
                steps=["b"],
                opened_at=NOW - timedelta(days=1),
            ),
            NOW - timedelta(days=1),
        ),
        rec(
            nev.TaskClosed(
                account_id=acct,
                task_id="t-done",
                playbook_id="champion-left",
                title="Left: Acme",
                owner_id="cara",
                priority="high",
                due_at=NOW + timedelta(days=14),
                status="done",
                outcome="new champion mapped",
                closed_by="cara",
                closed_at=NOW,
            )
        ),
        rec(
            nev.AlertRaised(
                account_id=acct,
                alert_id="al1",
                rule_id="champion-at-risk",
                severity="high",
                title="Influential champion at risk: Acme",
                text="At Acme, the VP Operations is engaged but not delighted",
                why="rule",
                source_event_type="x",
                source_event_id="y",
                recipients=[nev.RecipientOutcome(recipient="cara", outcome="send", reason="sent")],
                raised_at=NOW,
            )
        ),
    ]


async def handle(conn: asyncpg.Connection, records: list[Consumed]) -> None:
    await make_handler()(conn, records)


async def test_an_accounts_life_becomes_its_whole_view_and_timeline_once(accounts_db, run_id) -> None:
    acct = f"av-{run_id}"
    records = life(acct)
    async with rolled_back(accounts_db.url, schema="accounts") as conn:
        await handle(conn, records)
        await handle(conn, records)  # redelivered past the inbox: nothing doubles
        parts = await queries.account(conn, account_id=acct)
        scores = await queries.scores(conn, account_id=acct, since=NOW - timedelta(days=90))
        everything = await queries.timeline(conn, account_id=acct, kinds=None, before_id=None, limit=1000)
        champions = await queries.timeline(conn, account_id=acct, kinds=["champion"], before_id=None, limit=1000)
        page = await queries.timeline(conn, account_id=acct, kinds=None, before_id=None, limit=5)
        rest = await queries.timeline(conn, account_id=acct, kinds=None, before_id=page[-1]["id"], limit=1000)
        book = await queries.portfolio(conn, where=queries.Portfolio(owner="cara", at_risk=True), limit=10, offset=0)
    assert parts is not None
    v = view.assemble(parts, scores, NOW, tier="strategic")
    assert v["owners"] == {"csm": "cara", "ae": "abe", "renewal_owner": "rita"} and v["arr"] == 120_000
    engaged = v["engagement"]
    assert (engaged["model"], engaged["decided_by"], engaged["growth_potential"]) == ("high_touch", "rule", "high")
    assert engaged["reason"] == "strategic tier: high touch"
    assert engaged["sponsor_missing"] and engaged["executive_sponsor"] is None  # promised one, none named
    due = {t["kind"]: (t["due_on"], t["overdue"], t["missed_since_last"]) for t in engaged["touches"]}
    assert due == {
        "business_review": (TODAY + timedelta(days=61), False, 0),  # every 91 days, the last 30 days ago
        "check_in": (TODAY - timedelta(days=6), True, 1),  # every 14 days, the last 20 days ago, one missed
        "executive_sponsor_meeting": (None, False, 0),  # never held, and no start date: unknown, not overdue
        "value_review": (TODAY + timedelta(days=30), False, 0),  # monthly, from the value review held today
    }
    assert (v["health"]["value"], v["health"]["colour"]) == (38.0, "red")
    ladder = v["value_ladder"]
    assert (ladder["rung"], ladder["step"], ladder["of"]) == ("problem_solved", 2, 4)
    assert ladder["reason"] == "4 active users in 30 days; 1 goal met; 1 of 2 goals not met"
    moved = [e["title"] for e in everything if e["title"].startswith("Value ladder: problem solved (step 2 of 4, was")]
    assert moved == ["Value ladder: problem solved (step 2 of 4, was uses it): " + ladder["reason"]]
    assert v["health"]["reasons"][0]["text"] == "champion: 100 → 0"
    assert v["champions"]["healthy_influential"] == 0 and v["champions"]["target"] == 3
    vp = v["champions"]["contacts"][0]
    assert (vp["name"], vp["title"], vp["quadrant"], vp["influence"]) == (
        "Ana",
        "VP Operations",
        "engaged_not_delighted",
        "high",
    )
    goal = v["goals"][0]
    assert (goal["status"], goal["computed"], goal["progress_pct"], goal["target_value"]) == (
        "partially_met",
        True,
        60,
        20,
    )
    assert [p["severity"] for p in v["problems"]] == [4]
    assert {m["milestone_key"]: m["state"] for m in v["milestones"]} == {"first": "achieved", "habit": "missed"}
    assert [t["ticket_id"] for t in v["tickets"]["open"]] == ["t1"]
    assert [r["request_id"] for r in v["requests"]["shipped"]] == ["r1"]
    assert [(n["score"], n["comment"]) for n in v["nps"]] == [(4, "Reports keep breaking")]
    assert [c["contract_id"] for c in v["contracts"]] == ["D1"]
    renewal = v["renewal"]
    assert renewal["opportunity_id"] == "renewal-D1" and renewal["at_risk"] and renewal["risk_points"] == 60
    assert renewal["days_to_renewal"] == 65 and renewal["risk_reasons"][0]["factor"] == "no_healthy_champion"
    assert [a["alert_id"] for a in v["recent_alerts"]] == ["al1"]
    assert [t["task_id"] for t in v["tasks"]["open"]] == ["t-open"]
    assert [(t["task_id"], t["outcome"]) for t in v["tasks"]["closed"]] == [("t-done", "new champion mapped")]
    # the timeline: one entry per event (redelivery included) but those their companion shows (risk_changed,
    # with its risk_assessed), newest first, by kind, in pages
    shown = [r for r in records if r.envelope.type != "bellwether.renewals.risk_changed.v1"]
    assert len(everything) == len(shown) < len(records)
    assert [e["occurred_at"] for e in everything] == sorted((e["occurred_at"] for e in everything), reverse=True)
    assert {e["kind"] for e in champions} == {"champion"} and len(champions) == 3
    assert [e["id"] for e in page + rest] == [e["id"] for e in everything]
    assert any(e["title"] == 'NPS 4 from vp: "Reports keep breaking"' for e in everything)
    assert [b["account_id"] for b in book] == [acct]


async def test_every_handler_is_covered_by_the_life_above() -> None:
    covered = {r.envelope.type for r in life("x")}
    assert covered == {cls.event_type for cls in PROJECT}
    assert handlers.event_types == covered | {iev.UserDeleted.event_type}  # deletion: the test below


async def test_a_deleted_contact_leaves_no_trace_in_the_view(accounts_db, run_id) -> None:
    acct = f"ad-{run_id}"
    needles = ["vp", "Ana", "Reports keep breaking"]  # the contact of life(): id, name, their NPS comment
    async with rolled_back(accounts_db.url, schema="accounts") as conn:
        await handle(conn, life(acct))
        assert {"accounts.contacts", "accounts.nps", "accounts.timeline"} <= set(await scan(conn, "accounts", needles))
        await handle(conn, [deletion(f"usr-{run_id}", "vp")])
        assert await scan(conn, "accounts", ['"vp"', "Ana Silva", "Reports keep breaking"]) == {}
        assert await scan(conn, "accounts", [acct]), "the account itself stays"

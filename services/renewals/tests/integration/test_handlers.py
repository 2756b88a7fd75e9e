"""Every renewals handler, called directly on its migrated schema inside a rolled-back transaction
(no Kafka, no process): the state it writes, the events it queues in the outbox, the audit rows,
and that a redelivered record changes nothing (the consumer's inbox aside, handlers themselves are
latest-wins or idempotent)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from bellwether_shared.events import health as hev, ingest as iev
from bellwether_shared.records import Consumed
from devkit.events import deletion
from renewals import handoff, handoff_repository as reviews, repository
from renewals.domain import errors
from renewals.handlers import handlers
from tests.support.db import rolled_back
from tests.support.renewals_handlers import NOW, SETTINGS, handle, rec, sig
from tests.support.traces import scan

# the types the tests below send through the handler: a new handler fails the last test until tested
COVERED = {
    iev.DealClosedWon.event_type,
    iev.DealClosedWonV2.event_type,
    iev.AccountUpserted.event_type,
    iev.ContactChanged.event_type,
    iev.TicketChanged.event_type,
    hev.HealthScoreChanged.event_type,
    hev.HealthColourChanged.event_type,
    hev.MilestoneMissed.event_type,
    hev.ChampionCoverageChanged.event_type,
    iev.ProblemRecorded.event_type,
    iev.FeatureRequestStatusChanged.event_type,
    hev.ExpansionReady.event_type,
    iev.UserDeleted.event_type,
    iev.TouchRecorded.event_type,
    iev.ValueReviewRecorded.event_type,
}


async def outbox_types(conn: asyncpg.Connection, account: str) -> list[str]:
    rows = await conn.fetch("SELECT event_type FROM outbox WHERE subject = $1 ORDER BY id", account)
    return [r["event_type"] for r in rows]


def deal(account: str, deal_id: str, **kw: Any) -> iev.DealClosedWon:
    q = iev.Qualification(
        problem_severity=2,
        expected_duration_months=6,
        buying_department_fit=True,
        champion_fit=False,
        technology_ready=True,
        services_sold_hours=0,
        services_needed_hours=20,
    )
    return iev.DealClosedWon(
        **sig(account, occurred_at=NOW - timedelta(days=300)),
        deal_id=deal_id,
        arr=30_000,
        list_price=60_000,
        term_months=12,
        ae="abe",
        qualification=q,
        **kw,
    )


async def test_a_closed_won_deal_opens_contract_review_renewal_audit_and_events_once(renewals_db, run_id) -> None:
    acct = f"h-deal-{run_id}"
    d = rec(deal(acct, f"D-{run_id}"))
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, d)
        await handle(conn, d)  # redelivered past the inbox: the review is idempotent per deal
        review = await conn.fetchrow(
            "SELECT band, discount_pct, contract_id FROM handoff_reviews WHERE account_id = $1", acct
        )
        contracts = await conn.fetchval("SELECT count(*) FROM contracts WHERE account_id = $1", acct)
        audit = await conn.fetch(
            "SELECT entity_type, action FROM audit_log WHERE entity_id = ANY($1) ORDER BY id", [f"D-{run_id}"]
        )
        types = await outbox_types(conn, acct)
        ae = await conn.fetchval("SELECT ae FROM accounts WHERE account_id = $1", acct)
    assert review["band"] == "poor" and float(review["discount_pct"]) == 50.0 and review["contract_id"] == f"D-{run_id}"
    assert contracts == 1 and ae == "abe"
    assert [(a["entity_type"], a["action"]) for a in audit] == [("contract", "created"), ("review", "opened")]
    # ends in 65 days: the renewal opens (lead time 120) with its owner events, once
    assert types.count("bellwether.renewals.handoff_review_scored.v1") == 1
    assert types.count("bellwether.renewals.opportunity_created.v1") == 1
    assert "bellwether.renewals.ownership_changed.v1" in types


async def test_health_changes_project_and_reassess_risk_in_the_same_unit(renewals_db, run_id) -> None:
    acct = f"h-health-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, f"D-{run_id}")))
        red = hev.HealthColourChanged(
            account_id=acct, old_colour="green", new_colour="red", value=20.0, reasons=[], computed_at=NOW
        )
        score = hev.HealthScoreChanged(
            account_id=acct,
            old_value=None,
            new_value=20.0,
            old_colour=None,
            new_colour="red",
            delta=None,
            sufficient=True,
            scorecard_id="default",
            scorecard_version=1,
            reasons=[],
            computed_at=NOW,
        )
        await handle(conn, rec(red, "bellwether/health"), rec(score, "bellwether/health"))
        row = await conn.fetchrow("SELECT health_colour, health_score FROM accounts WHERE account_id = $1", acct)
        risk = await conn.fetchrow("SELECT at_risk, risk_reasons FROM opportunities WHERE account_id = $1", acct)
        types = await outbox_types(conn, acct)
    assert (row["health_colour"], row["health_score"]) == ("red", 20.0)
    assert risk["at_risk"] and "health_red" in {r["factor"] for r in risk["risk_reasons"]}
    assert types.count("bellwether.renewals.risk_changed.v1") == 1


async def test_the_last_value_reviews_verdict_is_a_renewal_risk_reason(renewals_db, run_id) -> None:
    """Missed value at the last review is a reason; a later review that met it takes the reason away."""
    acct = f"h-value-{run_id}"

    def review(review_id: str, days_ago: int, outcome: Any) -> iev.ValueReviewRecorded:
        held = date.today() - timedelta(days=days_ago)
        return iev.ValueReviewRecorded(**sig(acct), review_id=review_id, reviewed_on=held, outcome=outcome)

    async def factors(conn: asyncpg.Connection) -> dict[str, str]:
        reasons = await conn.fetchval("SELECT risk_reasons FROM opportunities WHERE account_id = $1", acct)
        return {r["factor"]: r["text"] for r in reasons}

    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, f"D-{run_id}")))
        await handle(conn, rec(review("q3", 40, "met")), rec(review("q4", 5, "missed")))
        missed = await factors(conn)
        await handle(conn, rec(review("q1", 1, "met")))
        met = await factors(conn)
        as_touches = await conn.fetch(
            "SELECT touch_id, kind, outcome, held_on FROM touches WHERE account_id = $1 ORDER BY held_on", acct
        )
    held = (date.today() - timedelta(days=5)).isoformat()
    assert missed["value_missed"] == f"the value review of {held} found the value missed"
    # each review is also the promised value-review touch, held on its day (the cadence counts from it)
    assert [(t["touch_id"], t["kind"], t["outcome"], (date.today() - t["held_on"]).days) for t in as_touches] == [
        ("value-review:q3", "value_review", "done", 40),
        ("value-review:q4", "value_review", "done", 5),
        ("value-review:q1", "value_review", "done", 1),
    ]
    assert "value_missed" not in met and "value_partially_met" not in met


async def test_signals_project_latest_wins_and_upserted_owners_are_applied(renewals_db, run_id) -> None:
    acct = f"h-sig-{run_id}"
    later, earlier = NOW, NOW - timedelta(hours=1)
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct, occurred_at=later), tier="gold", owners=iev.Owners(csm="cara"))),
            rec(iev.AccountUpserted(**sig(acct, occurred_at=earlier), tier="bronze", owners=iev.Owners(csm="old"))),
            rec(iev.ContactChanged(**sig(acct), contact_id="c1", is_champion=True, departed=True)),
            rec(iev.TicketChanged(**sig(acct), ticket_id="t1", status="opened", severity="urgent")),
            rec(
                hev.MilestoneMissed(account_id=acct, milestone_key="m1", name="M", deadline=date(2026, 1, 1)),
                "bellwether/health",
            ),
        )
        account = await conn.fetchrow("SELECT tier, csm FROM accounts WHERE account_id = $1", acct)
        champion = await conn.fetchval("SELECT departed FROM contacts WHERE account_id = $1", acct)
        ticket = await conn.fetchval("SELECT severity FROM tickets WHERE account_id = $1", acct)
        missed = await conn.fetchval("SELECT milestone_key FROM missed_milestones WHERE account_id = $1", acct)
        owners = await conn.fetch("SELECT new_owner_id FROM ownership_history WHERE account_id = $1", acct)
    assert (account["tier"], account["csm"]) == ("gold", "cara")  # the earlier upsert lost
    assert champion is True and ticket == "urgent" and missed == "m1"
    assert [o["new_owner_id"] for o in owners] == ["cara"]


async def test_coverage_problems_and_key_milestones_move_risk_and_requests_keep_their_history(
    renewals_db, run_id
) -> None:
    acct, other = f"h-cov-{run_id}", f"h-cov2-{run_id}"
    req = f"R-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, f"D-{run_id}")))  # renews in 65 days (the deal's qualification: 2/5)
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), exposure="high", arr=30_000)),
            rec(iev.AccountUpserted(**sig(other), arr=70_000)),
        )
        before = await conn.fetchval("SELECT risk_reasons FROM opportunities WHERE account_id = $1", acct)
        await handle(
            conn,
            rec(
                hev.ChampionCoverageChanged(account_id=acct, healthy_influential=0, target=2, assessed_at=NOW),
                "bellwether/health",
            ),
            rec(iev.ProblemRecorded(**sig(acct), problem_id="p1", description="nice-to-have dashboards", severity=1)),
            rec(
                hev.MilestoneMissed(account_id=acct, milestone_key="minor", name="Minor", deadline=None, is_key=False),
                "bellwether/health",
            ),
            rec(
                iev.FeatureRequestStatusChanged(
                    **sig(acct, occurred_at=NOW - timedelta(days=3)),
                    request_id=req,
                    title="SSO",
                    status="open",
                    contact_id="c1",
                    blocking=True,
                )
            ),
            rec(
                iev.FeatureRequestStatusChanged(
                    **sig(other, occurred_at=NOW - timedelta(days=2)), request_id=req, title="SSO", status="planned"
                )
            ),
            rec(iev.FeatureRequestStatusChanged(**sig(other), request_id=req, title="SSO", status="shipped")),
        )
        after = await conn.fetchval("SELECT risk_reasons FROM opportunities WHERE account_id = $1", acct)
        types = await outbox_types(conn, acct)
        from renewals import request_repository as requests

        got = await requests.get(conn, request_id=req, today=NOW.date())
        mine = await requests.listed(
            conn, today=NOW.date(), owner_id=None, status="shipped", account_id=acct, limit=10, offset=0
        )
    factors = {r["factor"]: r for r in after}
    assert "no_healthy_champion" not in {r["factor"] for r in before}
    assert factors["no_healthy_champion"]["points"] == 20
    assert (
        "1/5 severe" in factors["low_severity_high_exposure"]["text"]
    )  # the recorded problem wins over the deal's 2/5
    assert "milestones_missed" not in factors  # a milestone that is not key does not count
    assert "bellwether.renewals.risk_assessed.v1" in types
    assert got is not None and got["status"] == "shipped" and got["accounts"] == 2 and got["arr_at_stake"] == 100_000
    assert [h["status"] for h in got["history"]] == ["open", "planned", "shipped"]
    assert got["renewing_within_90_days"] == [acct]
    assert {(a["account_id"], a["contact_id"]) for a in got["asked_by"]} == {(acct, "c1"), (other, None)}
    assert [r["request_id"] for r in mine] == [req]


async def test_a_departure_counts_for_90_days_in_risk_as_in_health(renewals_db, run_id) -> None:
    """bellwether_shared.champions: the same window in both services (it counted forever in risk)."""
    recent, old = f"h-dep1-{run_id}", f"h-dep2-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        for acct, days in ((recent, 10), (old, 100)):
            await handle(conn, rec(deal(acct, f"D-{acct}")))
            await handle(
                conn,
                rec(
                    iev.ContactChanged(
                        **sig(acct, occurred_at=NOW - timedelta(days=days)),
                        contact_id="c1",
                        is_champion=True,
                        departed=True,
                    )
                ),
            )
        factors = {
            r["account_id"]: {x["factor"] for x in r["risk_reasons"]}
            for r in await conn.fetch(
                "SELECT account_id, risk_reasons FROM opportunities WHERE account_id = ANY($1)", [recent, old]
            )
        }
    assert "champion_departed" in factors[recent] and "champion_departed" not in factors[old]


async def test_an_account_ready_to_grow_gets_one_expansion_routed_by_the_policy(renewals_db, run_id) -> None:
    acct = f"h-grow-{run_id}"
    ready = hev.ExpansionReady(
        account_id=acct,
        growth_type="organic_seats",
        seats=10,
        active_users=9,
        reasons=["9 of 10 seats active", "active users up 50 %"],
        assessed_at=NOW,
    )
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, f"D-{run_id}")))  # 30,000 ARR, AE abe
        await handle(conn, rec(iev.AccountUpserted(**sig(acct), owners=iev.Owners(csm="cara"))))
        await handle(conn, rec(ready, "bellwether/health"))
        await handle(conn, rec(ready, "bellwether/health"))  # ready again while one is open: no second
        opened = await conn.fetch(
            "SELECT arr, growth_type, owner_id, owner_reason, source, signal_reasons FROM opportunities "
            "WHERE account_id = $1 AND kind = 'expansion'",
            acct,
        )
        events = [
            orjson.loads(r["payload"])
            for r in await conn.fetch(
                "SELECT payload FROM outbox WHERE subject = $1 AND event_type = $2",
                acct,
                "bellwether.renewals.opportunity_created.v1",
            )
        ]
    assert len(opened) == 1
    o = opened[0]
    assert (float(o["arr"]), o["growth_type"], o["source"]) == (6_000.0, "organic_seats", "readiness")
    # growth type decides (the default): more of the same belongs to the CSM
    assert o["owner_id"] == "cara" and "more-of-the-same" in o["owner_reason"]
    assert o["signal_reasons"] == ["9 of 10 seats active", "active users up 50 %"]
    mine = [e for e in events if e["kind"] == "expansion"]
    assert len(mine) == 1 and mine[0]["source"] == "readiness" and mine[0]["reasons"][0] == "9 of 10 seats active"


async def test_a_crm_deal_without_answers_opens_its_contract_and_an_answers_missing_review(renewals_db, run_id) -> None:
    acct, deal_id = f"h-noq-{run_id}", f"DQ-{run_id}"
    won = iev.DealClosedWonV2(
        **sig(acct, occurred_at=NOW - timedelta(days=10)),
        deal_id=deal_id,
        arr=20_000,
        list_price=20_000,
        term_months=12,
    )
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(won))
        await handle(conn, rec(won))  # redelivered: nothing twice
        review = await conn.fetchrow(
            "SELECT band, score, answers, contract_id FROM handoff_reviews WHERE deal_id = $1", deal_id
        )
        contracts = await conn.fetchval("SELECT count(*) FROM contracts WHERE deal_id = $1", deal_id)
        scored = [
            orjson.loads(r["payload"])
            for r in await conn.fetch(
                "SELECT payload FROM outbox WHERE subject = $1 AND event_type = $2",
                acct,
                "bellwether.renewals.handoff_review_scored.v1",
            )
        ]
    assert dict(review) == {"band": "answers_missing", "score": None, "answers": None, "contract_id": deal_id}
    assert contracts == 1
    assert [(e["band"], e["flagged"], e["score"]) for e in scored] == [("answers_missing", False, None)]


async def test_a_touch_is_kept_latest_wins_and_corrected_by_its_id(renewals_db, run_id) -> None:
    acct = f"h-touch-{run_id}"
    held = iev.TouchRecorded(
        **sig(acct), touch_id="t1", kind="business_review", outcome="missed", held_on=date(2026, 11, 2)
    )
    corrected = held.model_copy(update={"outcome": "done", "occurred_at": held.occurred_at + timedelta(minutes=1)})
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(corrected))
        await handle(conn, rec(held))  # older, arriving late: the correction stands
        rows = await conn.fetch("SELECT kind, outcome, held_on FROM touches WHERE account_id = $1", acct)
    assert [tuple(r) for r in rows] == [("business_review", "done", date(2026, 11, 2))]


async def test_unknown_types_are_skipped_and_every_handler_is_tested(renewals_db) -> None:
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        other = Consumed(rec(iev.NpsSubmitted(**sig("x"), contact_id="c", score=3)).envelope, 0, 0, {"account_id": "x"})
        await handle(conn, other)
        assert await conn.fetchval("SELECT count(*) FROM accounts WHERE account_id = 'x'") == 0
    assert handlers.event_types == COVERED, f"handlers without a test here: {handlers.event_types - COVERED}"


async def test_the_rejection_workflow_on_the_review_repository(renewals_db, run_id) -> None:
    """propose → decline → propose → approve, each audited and announced; listing by status and band."""
    acct, deal_id = f"h-rej-{run_id}", f"D-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, deal_id)))
        async with repository.unit(conn) as uow:
            await handoff.propose_rejection(uow, deal_id=deal_id, failed=["right_buyer"], note="n", actor="csm")
            with pytest.raises(errors.Forbidden):
                await handoff.decide_rejection(uow, deal_id=deal_id, approve=True, note=None, actor="csm")
            declined = await handoff.decide_rejection(uow, deal_id=deal_id, approve=False, note="no", actor="vp")
            await handoff.propose_rejection(uow, deal_id=deal_id, failed=["severe_problem"], note=None, actor="csm")
            approved = await handoff.decide_rejection(uow, deal_id=deal_id, approve=True, note=None, actor="vp")
            with pytest.raises(errors.Conflict):
                await handoff.accept(uow, deal_id=deal_id, actor="csm")
        rejected = await reviews.list_reviews(conn, status="rejected", band="poor", limit=1000, offset=0)
        audit = await conn.fetch(
            "SELECT action FROM audit_log WHERE entity_type = 'review' AND entity_id = $1 ORDER BY id", deal_id
        )
        types = await outbox_types(conn, acct)
    assert declined["status"] == "open" and approved["status"] == "rejected" and approved["decided_by"] == "vp"
    assert deal_id in {r["deal_id"] for r in rejected}
    assert [a["action"] for a in audit] == [
        "opened",
        "rejection_proposed",
        "rejection_declined",
        "rejection_proposed",
        "rejection_approved",
    ]
    assert types.count("bellwether.renewals.deal_rejection_proposed.v1") == 2
    assert types.count("bellwether.renewals.deal_rejected.v1") == 1


async def test_a_renewal_of_a_sold_contract_rolls_forward_and_the_deal_stays_one_contract(renewals_db, run_id) -> None:
    """The next term is a renewal, not a sale: it carries no deal id (deal ids are unique per contract, and
    the deal redelivered still finds its own contract)."""
    from renewals import closing

    acct, deal_id = f"h-roll-{run_id}", f"D-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, rec(deal(acct, deal_id)))
        opp = await conn.fetchval("SELECT opportunity_id FROM opportunities WHERE account_id = $1", acct)
        async with repository.unit(conn) as uow:
            await closing.close(
                uow,
                opportunity_id=opp,
                outcome="expanded",
                arr_change=6_000,
                actor="vic",
                reason=None,
                note=None,
                horizon=SETTINGS.horizon(),
            )
        await handle(conn, rec(deal(acct, deal_id)))
        terms = await conn.fetch(
            "SELECT contract_id, deal_id, arr FROM contracts WHERE account_id = $1 ORDER BY start_date", acct
        )
    assert [(t["deal_id"], float(t["arr"])) for t in terms] == [(deal_id, 30_000), (None, 36_000)]
    assert terms[1]["contract_id"].startswith(f"{deal_id}@")


async def test_a_deleted_contact_is_forgotten(renewals_db, run_id) -> None:
    acct, contact, name = f"rd-{run_id}", f"ct-{run_id}", f"Ottilie {run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(
            conn, rec(iev.ContactChanged(**sig(acct), contact_id=contact, name=name, title="VP", is_champion=True))
        )
        assert await scan(conn, "renewals", [contact, name])
        await handle(conn, deletion(f"usr-{run_id}", contact))
        assert await scan(conn, "renewals", [contact, name]) == {}

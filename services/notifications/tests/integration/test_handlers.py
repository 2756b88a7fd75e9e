"""Every notifications handler, called directly on the migrated schema inside a rolled-back
transaction: the account projection per event type, then the rules: an alert with its outcome and
its delivery per subscribed destination, once however often the event is handled."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bellwether_shared.events import health as hev, ingest as iev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from devkit.events import deletion
from notifications import crm_admin_repository, crm_repository
from notifications.handlers import handlers, make_handler
from tests.support.db import rolled_back
from tests.support.traces import scan

NOW = datetime.now(UTC)
COVERED = {
    iev.AccountUpserted.event_type,
    hev.HealthScoreChanged.event_type,
    hev.HealthColourChanged.event_type,
    rev.OwnershipChanged.event_type,
    rev.OpportunityCreated.event_type,
    rev.RenewalUpcoming.event_type,
    rev.RenewalRiskChanged.event_type,
    rev.RenewalRiskAssessed.event_type,
    iev.UserDeleted.event_type,
}


def rec(event: Event, at: datetime = NOW) -> Consumed:
    env = event.envelope(event_id=str(uuid.uuid4()), source="bellwether/test", time=at)
    return Consumed(env, 0, 0, orjson.loads(env.data))


def sig(account: str) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex,
        "source_id": "s",
        "account_id": account,
        "received_at": NOW,
        "occurred_at": NOW,
    }


async def handle(conn: asyncpg.Connection, *records: Consumed) -> None:
    await make_handler(max_age=timedelta(hours=1))(conn, list(records))


async def test_the_projection_follows_each_event_type(notifications_db, run_id) -> None:
    acct = f"nh-{run_id}"
    renewal = date.today() + timedelta(days=80)
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), tier="gold", owners=iev.Owners(csm="cara"))),
            rec(
                hev.HealthScoreChanged(
                    account_id=acct,
                    old_value=None,
                    new_value=61.0,
                    old_colour=None,
                    new_colour="yellow",
                    delta=None,
                    sufficient=True,
                    scorecard_id="d",
                    scorecard_version=1,
                    reasons=[],
                    computed_at=NOW,
                )
            ),
            rec(
                hev.HealthColourChanged(
                    account_id=acct, old_colour="yellow", new_colour="red", value=30.0, reasons=[], computed_at=NOW
                )
            ),
            rec(
                rev.OwnershipChanged(
                    account_id=acct,
                    opportunity_id=None,
                    role="ae",
                    old_owner_id=None,
                    new_owner_id="abe",
                    reason="r",
                    actor="a",
                )
            ),
            rec(
                rev.OwnershipChanged(
                    account_id=acct,
                    opportunity_id="o1",
                    role="csm",
                    old_owner_id="cara",
                    new_owner_id="zed",
                    reason="r",
                    actor="a",
                )
            ),  # an opportunity's: not routing
            rec(
                rev.OpportunityCreated(
                    account_id=acct,
                    opportunity_id="x1",
                    kind="expansion",
                    contract_id=None,
                    renewal_date=renewal + timedelta(days=400),
                    arr=1,
                    growth_type="same_product",
                    owner_id="abe",
                    owner_role="ae",
                )
            ),  # an expansion's date is not the renewal
            rec(
                rev.RenewalUpcoming(
                    account_id=acct,
                    opportunity_id="r1",
                    renewal_date=renewal,
                    days_to_renewal=80,
                    window=90,
                    arr=10,
                    owner_id="cara",
                    owner_role="csm",
                    at_risk=False,
                )
            ),
        )
        row = await conn.fetchrow(
            "SELECT tier, csm, ae, colour, score, renewal_date FROM accounts WHERE account_id = $1", acct
        )
    assert dict(row) == {
        "tier": "gold",
        "csm": "cara",
        "ae": "abe",
        "colour": "red",
        "score": 30.0,
        "renewal_date": renewal,
    }
    assert handlers.event_types == COVERED, f"handlers without a test here: {handlers.event_types - COVERED}"


def _risk(acct: str, level: str, *, assessed: bool = False) -> Event:
    cls = rev.RenewalRiskAssessed if assessed else rev.RenewalRiskChanged
    return cls(
        account_id=acct,
        opportunity_id="r1",
        at_risk=level != "none",
        level=level,  # type: ignore[arg-type]
        points=40,
        renewal_date=date.today() + timedelta(days=60),
        days_to_renewal=60,
        arr=10,
        owner_id="cara",
        reasons=[rev.RiskReason(factor="champion_left", points=40, text="the champion left")],
    )


async def test_what_the_crm_shows_follows_scores_risk_and_record_ids_and_queues_one_write(
    notifications_db, run_id
) -> None:
    acct = f"nc-{run_id}"
    score = hev.HealthScoreChanged(
        account_id=acct,
        old_value=70.0,
        new_value=58.0,
        old_colour="green",
        new_colour="yellow",
        delta=-12.0,
        sufficient=True,
        scorecard_id="d",
        scorecard_version=1,
        reasons=[],
        computed_at=NOW,
    )
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        fields = {"health_score": "h"}
        await crm_admin_repository.create(
            conn,
            destination_id=f"crm-{run_id}",
            name="t",
            kind="hubspot",
            base_url="http://127.0.0.1:1",
            token_sealed="x",
            fields=fields,
            api_version=None,
            coalesce_s=5,
        )
        later, earlier = NOW, NOW - timedelta(minutes=5)
        await handle(
            conn,
            rec(iev.AccountUpserted(**sig(acct), crm_ids={"hubspot": "512"})),
            rec(score),
            rec(_risk(acct, "high"), at=later),
            rec(_risk(acct, "low", assessed=True), at=earlier),  # an older assessment delivered late
        )
        row = await conn.fetchrow(
            "SELECT score_trend, risk_level, risk_reasons FROM accounts WHERE account_id = $1", acct
        )
        ids = await conn.fetch("SELECT system, record_id FROM crm_records WHERE account_id = $1", acct)
        opened = await conn.fetchval("SELECT count(*) FROM tasks WHERE account_id = $1", acct)
        queued = await conn.fetch(
            "SELECT dirty, version, due_at FROM crm_sync WHERE destination_id = $1 AND account_id = $2",
            f"crm-{run_id}",
            acct,
        )
        known = (await crm_repository.standings(conn, account_ids=[acct], system="hubspot"))[acct][0]
        unsure = score.model_copy(update={"new_value": 0.0, "new_colour": "unknown", "sufficient": False})
        await handle(conn, rec(unsure))  # a score on too little data: no number to show
        unknown = (await crm_repository.standings(conn, account_ids=[acct], system="hubspot"))[acct][0]
    assert (known.score, known.colour, unknown.score, unknown.colour) == (58.0, "yellow", None, "unknown")
    assert (row["score_trend"], row["risk_level"]) == ("declining", "high")
    assert row["risk_reasons"] == [{"points": 40.0, "text": "the champion left"}]
    assert [tuple(r) for r in ids] == [("hubspot", "512")]
    assert len(queued) == 1 and queued[0]["dirty"]  # four events, one pending write
    # the batch's four events are one mark; a task the batch opened marks it once more (its count changed)
    assert queued[0]["version"] == 1 + opened and queued[0]["due_at"] > NOW


async def test_a_rule_match_records_one_alert_outcome_and_delivery_however_often_handled(
    notifications_db, run_id
) -> None:
    acct, person = f"nr-{run_id}", f"p-{run_id}"
    left = rec(iev.ContactChanged(**sig(acct), contact_id="champ", is_champion=True, departed=True))
    stale = rec(
        iev.ContactChanged(**sig(f"{acct}-old"), contact_id="champ", is_champion=True, departed=True),
        at=NOW - timedelta(days=2),
    )
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await conn.execute("INSERT INTO people (person_id, role, throttle_per_hour) VALUES ($1, 'csm', 100)", person)
        await conn.execute(
            "INSERT INTO destinations (destination_id, name, kind, target) VALUES ($1, 'd', 'webhook', 'https://x.test/h')",
            f"d-{run_id}",
        )
        await conn.execute(
            "INSERT INTO subscriptions (subscription_id, destination_id, recipient) VALUES ($1, $2, $3)",
            f"s-{run_id}",
            f"d-{run_id}",
            person,
        )
        await handle(conn, rec(iev.AccountUpserted(**sig(acct), owners=iev.Owners(csm=person))))
        await handle(conn, left, stale)
        await handle(conn, left)  # the same event again (past the inbox): nothing new
        alerts = await conn.fetch("SELECT alert_id, rule_id FROM alerts WHERE account_id LIKE $1", f"{acct}%")
        outcomes = await conn.fetch(
            "SELECT outcome FROM alert_outcomes WHERE alert_id = ANY($1)", [a["alert_id"] for a in alerts]
        )
        deliveries = await conn.fetchval("SELECT count(*) FROM deliveries WHERE destination_id = $1", f"d-{run_id}")
    assert [a["rule_id"] for a in alerts] == ["champion-departed"]  # the stale event alerted nobody
    assert [o["outcome"] for o in outcomes] == ["send"] and deliveries == 1


async def test_default_rules_for_champions_key_milestones_and_the_vps_decision_and_alert_raised(
    notifications_db, run_id
) -> None:
    """The defaults this issue added: an influential champion at risk alerts the CSM and AE; only key
    milestones alert; a proposed rejection asks the VP of CS. Each alert is announced on Kafka."""
    acct, csm, ae, vp = f"nd-{run_id}", f"c-{run_id}", f"a-{run_id}", f"v-{run_id}"
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        for person, role in ((csm, "csm"), (ae, "ae"), (vp, "vp")):
            await conn.execute(
                "INSERT INTO people (person_id, role, throttle_per_hour) VALUES ($1, $2, 100)", person, role
            )
        await handle(conn, rec(iev.AccountUpserted(**sig(acct), name="Acme", owners=iev.Owners(csm=csm, ae=ae))))
        await handle(
            conn,
            rec(
                hev.ChampionAtRisk(
                    account_id=acct,
                    contact_id="vp-ops",
                    label="the VP Operations",
                    old_quadrant="engaged_delighted",
                    new_quadrant="engaged_not_delighted",
                    influence="high",
                    assessed_at=NOW,
                    why=["the VP Operations is engaged but not delighted: NPS 4, 3 slow tickets"],
                )
            ),
            rec(hev.MilestoneMissed(account_id=acct, milestone_key="minor", name="Minor", deadline=None)),
            rec(
                hev.MilestoneMissed(
                    account_id=acct, milestone_key="key", name="Weekly habit", deadline=None, is_key=True
                )
            ),
            rec(
                rev.DealRejectionProposed(
                    account_id=acct,
                    deal_id="D1",
                    proposed_by="csm@vendor.test",
                    failed_criteria=["severe_problem", "right_buyer"],
                    note=None,
                )
            ),
        )
        alerts = await conn.fetch(
            """SELECT a.rule_id, a.text, array_agg(o.recipient ORDER BY o.recipient) AS who FROM alerts a
               JOIN alert_outcomes o USING (alert_id) WHERE a.account_id = $1 GROUP BY 1, 2 ORDER BY 1""",
            acct,
        )
        raised = await conn.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 AND event_type = $2",
            acct,
            "bellwether.notifications.alert_raised.v1",
        )
    by_rule = {a["rule_id"]: a for a in alerts}
    assert set(by_rule) == {"champion-at-risk", "milestone-missed", "deal-rejection-proposed"}
    assert sorted(by_rule["champion-at-risk"]["who"]) == sorted([csm, ae])
    assert "NPS 4, 3 slow tickets" in by_rule["champion-at-risk"]["text"]
    assert "Weekly habit" in by_rule["milestone-missed"]["text"]  # the key one; the minor one alerted nobody
    assert (
        by_rule["deal-rejection-proposed"]["who"] == [vp]
        and "approve or decline" in by_rule["deal-rejection-proposed"]["text"]
    )
    payloads = [orjson.loads(r["payload"]) for r in raised]
    assert sorted(p["rule_id"] for p in payloads) == sorted(by_rule)
    champion = next(p for p in payloads if p["rule_id"] == "champion-at-risk")
    assert {r["recipient"] for r in champion["recipients"]} == {csm, ae}


async def test_a_deleted_contact_leaves_no_alert_or_delivery_naming_them(notifications_db, run_id) -> None:
    acct, person, contact = f"nd-{run_id}", f"p-{run_id}", f"ct-{run_id}"
    left = rec(
        iev.ContactChanged(**sig(acct), contact_id=contact, name=f"Ottilie {run_id}", is_champion=True, departed=True)
    )
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await conn.execute("INSERT INTO people (person_id, role, throttle_per_hour) VALUES ($1, 'csm', 100)", person)
        await conn.execute(
            "INSERT INTO destinations (destination_id, name, kind, target) "
            "VALUES ($1, 'd', 'webhook', 'https://x.test/h')",
            f"d-{run_id}",
        )
        await conn.execute(
            "INSERT INTO subscriptions (subscription_id, destination_id, recipient) VALUES ($1, $2, $3)",
            f"s-{run_id}",
            f"d-{run_id}",
            person,
        )
        await handle(conn, rec(iev.AccountUpserted(**sig(acct), owners=iev.Owners(csm=person))), left)
        before = await scan(conn, "notifications", [contact])
        assert {"notifications.alerts", "notifications.deliveries"} <= set(before), before
        await handle(conn, deletion(f"usr-{run_id}", contact))
        assert await scan(conn, "notifications", [contact]) == {}
        assert await conn.fetchval("SELECT count(*) FROM accounts WHERE account_id = $1", acct) == 1

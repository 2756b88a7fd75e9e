"""The renewals service for real: its API, signals.v1 and health.v1 in, renewals.v1 out, against
real Kafka and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bellwether_shared import topics
from bellwether_shared.events import health as hev, ingest as iev
from bellwether_shared.kafka import create_producer, publish
from devkit.kafka import TopicTail
from renewals.domain.lifecycle import add_months
from tests.support.renewals import ADMIN, CSM, VIEWER, VP, contract, of, put_contract, read_through_sentinel, today
from tests.support.wait import eventually


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


async def health_event(
    bootstrap: str,
    account: str,
    value: float,
    colour: str,
    *,
    at: datetime | None = None,
    card: str = "default",
    version: int = 1,
) -> None:
    import uuid

    event = hev.HealthScoreChanged(
        account_id=account,
        old_value=None,
        new_value=value,
        old_colour=None,
        new_colour=colour,  # type: ignore[arg-type]
        delta=None,
        sufficient=True,
        scorecard_id=card,
        scorecard_version=version,
        reasons=[],
        computed_at=at or datetime.now(UTC),
    )
    producer = create_producer(bootstrap, client_id="test-health")
    await producer.start()
    try:
        await publish(producer, [event.envelope(event_id=str(uuid.uuid4()), source="bellwether/health")], timeout_s=30)
    finally:
        await producer.stop()


async def test_a_contract_in_its_lead_time_gets_a_renewal_owned_per_policy_and_announced(
    http, kafka_bootstrap, run_id
) -> None:
    acct = f"lead-{run_id}"
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        r = await http.put(
            f"/v1/accounts/{acct}/owners", json={"csm": "cara", "ae": "abe", "reason": "new book"}, headers=CSM
        )
        assert r.status_code == 200 and r.json()["csm"] == "cara"
        far = await put_contract(http, contract(f"far-{run_id}", acct, 200))
        near = await put_contract(http, contract(f"near-{run_id}", acct, 100))
        soon = await put_contract(http, contract(f"soon-{run_id}", acct, 50))
        assert far["renewal_opportunity_id"] is None
        assert near["renewal_opportunity_id"] == f"renewal-near-{run_id}"
        got = await read_through_sentinel(http, tail, acct, run_id)
    created = of(got, "bellwether.renewals.opportunity_created.v1", acct)
    assert {(c["opportunity_id"], c["owner_id"], c["owner_role"]) for c in created} == {
        (f"renewal-near-{run_id}", "cara", "csm"),
        (f"renewal-soon-{run_id}", "cara", "csm"),
    }
    upcoming = of(got, "bellwether.renewals.renewal_upcoming.v1", acct)
    assert [(u["opportunity_id"], u["window"]) for u in upcoming] == [(soon["renewal_opportunity_id"], 60)]
    owners = of(got, "bellwether.renewals.ownership_changed.v1", acct)
    assert sorted((o["role"], o["old_owner_id"], o["new_owner_id"], o["opportunity_id"]) for o in owners) == [
        ("ae", None, "abe", None),
        ("csm", None, "cara", None),
    ]
    r = await http.get(f"/v1/opportunities/{near['renewal_opportunity_id']}", headers=VIEWER)
    body = r.json()
    assert body["owner_reason"] == "split model: CSMs own renewals" and body["days_to_renewal"] == 100
    assert body["ownership_history"][0]["new_owner_id"] == "cara"
    # the same contract again is an update, not a second renewal
    again = await put_contract(http, contract(f"near-{run_id}", acct, 100, arr=60_000))
    assert again["renewal_opportunity_id"] == near["renewal_opportunity_id"] and again["arr"] == 60_000
    listed = (await http.get("/v1/opportunities", params={"account_id": acct}, headers=VIEWER)).json()
    assert len([o for o in listed["opportunities"] if o["opportunity_id"] != f"renewal-end-{run_id}"]) == 2


async def test_ownership_follows_each_model_and_manual_choices_stick(http, kafka_bootstrap, run_id) -> None:
    acct = f"own-{run_id}"
    await http.put(f"/v1/accounts/{acct}/owners", json={"csm": "cara", "ae": "abe", "reason": "r"}, headers=CSM)
    renewal = (await put_contract(http, contract(f"c-{run_id}", acct, 80)))["renewal_opportunity_id"]
    pinned = (await put_contract(http, contract(f"p-{run_id}", acct, 85)))["renewal_opportunity_id"]
    r = await http.put(
        f"/v1/opportunities/{pinned}/owner", json={"owner_id": "rex", "reason": "key account"}, headers=VP
    )
    assert r.status_code == 200 and r.json()["owner_manual"] is True

    async def expansion(growth: str) -> dict[str, Any]:
        r = await http.post(
            "/v1/opportunities", json={"account_id": acct, "growth_type": growth, "arr": 5000}, headers=CSM
        )
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    async def owner(oid: str) -> str:
        return str((await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()["owner_id"])

    assert (await http.put("/v1/policy", json={"model": "all_sales"}, headers=CSM)).status_code == 403
    try:
        async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
            r = await http.put("/v1/policy", json={"model": "all_sales"}, headers=ADMIN)
            assert r.status_code == 200 and r.json()["opportunities_reassigned"] >= 1
            assert await owner(renewal) == "abe" and await owner(pinned) == "rex"
            assert (await expansion("organic_seats"))["owner_id"] == "abe"
            changed = await tail.collect(
                lambda rs: any(
                    p["opportunity_id"] == renewal for p in of(rs, "bellwether.renewals.ownership_changed.v1", acct)
                )
            )
            change = next(
                p
                for p in of(changed, "bellwether.renewals.ownership_changed.v1", acct)
                if p["opportunity_id"] == renewal
            )
            assert (change["old_owner_id"], change["new_owner_id"], change["role"]) == ("cara", "abe", "ae")

        await http.put("/v1/policy", json={"model": "split"}, headers=ADMIN)  # growth type decides by default
        assert await owner(renewal) == "cara"
        seats, product = await expansion("organic_seats"), await expansion("new_product")
        assert (seats["owner_id"], product["owner_id"]) == ("cara", "abe")
        assert "more-of-the-same" in seats["owner_reason"]
        await http.put("/v1/policy", json={"model": "split", "growth_type_decides": False}, headers=ADMIN)
        assert (await expansion("organic_seats"))["owner_id"] == "abe"  # split alone: AEs lead every upsell

        await http.put("/v1/policy", json={"model": "all_csm", "growth_type_decides": False}, headers=ADMIN)
        assert (await expansion("new_product"))["owner_id"] == "cara"
        await http.put("/v1/policy", json={"model": "split", "ae_renewal_min_arr": 40_000}, headers=ADMIN)
        assert await owner(renewal) == "abe"  # 50k contract ≥ 40k threshold

        # handing the pinned one back to the policy
        r = await http.put(f"/v1/opportunities/{pinned}/owner", json={"owner_id": None, "reason": "r"}, headers=VP)
        assert r.json()["owner_id"] == "abe" and r.json()["owner_manual"] is False
        history = (await http.get(f"/v1/opportunities/{pinned}", headers=VIEWER)).json()["ownership_history"]
        assert [h["new_owner_id"] for h in history] == ["cara", "rex", "abe"]
    finally:
        await http.put("/v1/policy", json={"model": "split"}, headers=ADMIN)


async def test_risk_appears_when_health_turns_red_near_renewal_and_clears_on_recovery(
    http, kafka_bootstrap, run_id
) -> None:
    acct = f"risk-{run_id}"
    oid = (await put_contract(http, contract(f"r-{run_id}", acct, 45)))["renewal_opportunity_id"]
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        await health_event(kafka_bootstrap, acct, 28, "red")
        got = await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.risk_changed.v1", acct)) >= 1)
        entered = of(got, "bellwether.renewals.risk_changed.v1", acct)[0]
        assert entered["at_risk"] is True and entered["opportunity_id"] == oid
        assert [x["factor"] for x in entered["reasons"]] == ["health_red"]
        opp = (await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()
        assert opp["at_risk"] and opp["risk_level"] == "medium" and opp["last_window"] == 60
        at_risk = (
            await http.get("/v1/opportunities", params={"at_risk": "true", "account_id": acct}, headers=VIEWER)
        ).json()
        assert [o["opportunity_id"] for o in at_risk["opportunities"]] == [oid]

        await health_event(kafka_bootstrap, acct, 81, "green")
        await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.risk_changed.v1", acct)) >= 2)
        got = await read_through_sentinel(http, tail, acct, run_id)
    changes = of(got, "bellwether.renewals.risk_changed.v1", acct)
    assert [c["at_risk"] for c in changes] == [True, False]  # once on entering, once on leaving
    assert not (await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()["at_risk"]


async def test_forecast_sums_match_the_contracts(http, kafka_bootstrap, run_id) -> None:
    import uuid

    year = 2040 + int(run_id[:4], 16) % 50  # a year of its own (test_lifecycle uses today + 2000 days: 2032)
    rows = [("high", 10_000), ("high", 20_000), ("low", 5_000), ("moderate", 7_500), ("low", 12_500)]
    upserts = []
    for i, (exposure, arr) in enumerate(rows):
        acct = f"fc-{run_id}-{i}"
        end = date(year, 1 + 2 * i, 15)  # Jan, Mar, May, Jul, Sep
        body = {
            "contract_id": acct,
            "account_id": acct,
            "start_date": str(date(year - 1, 1, 1)),
            "end_date": str(end),
            "term_months": 12,
            "arr": arr,
        }
        await put_contract(http, body)
        upserts.append(
            iev.AccountUpserted(
                message_id=acct,
                source_id="s",
                account_id=acct,
                received_at=datetime.now(UTC),
                occurred_at=datetime.now(UTC),
                exposure=exposure,  # type: ignore[arg-type]
            ).envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
        )
    producer = create_producer(kafka_bootstrap, client_id="test-signals")
    await producer.start()
    try:
        await publish(producer, upserts, timeout_s=30)
    finally:
        await producer.stop()

    async def projected() -> bool:
        last = (await http.get(f"/v1/accounts/fc-{run_id}-4", headers=VIEWER)).json()
        return bool(last.get("exposure") == "low")

    await eventually(projected, what="account upserts projected")
    params = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01", "period": "quarter"}
    r = await http.get("/v1/forecast", params=params, headers=VIEWER)
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["total_arr"] == sum(a for _, a in rows)
    assert sum(c["contracts"] for c in f["cells"]) == len(rows)
    by_q: dict[str, float] = {}
    by_exposure: dict[str, float] = {}
    for c in f["cells"]:
        by_q[c["period"]] = by_q.get(c["period"], 0) + c["arr"]
        by_exposure[c["exposure"]] = by_exposure.get(c["exposure"], 0) + c["arr"]
    assert by_q == {f"{year}-Q1": 30_000, f"{year}-Q2": 5_000, f"{year}-Q3": 20_000}
    assert by_exposure == {"high": 30_000, "low": 17_500, "moderate": 7_500}
    rate = f["rates"]["unknown"]["rate"]  # no health yet: every account is 'unknown'
    assert f["expected_churn_arr"] == pytest.approx(sum(a for _, a in rows) * rate, abs=0.05)
    bad = await http.get("/v1/forecast", params={"from": "2030-01-01", "to": "2029-01-01"}, headers=VIEWER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"


async def test_backtest_computes_auc_on_a_constructed_history(http, kafka_bootstrap, run_id) -> None:
    """Six closed renewals; their scores 90 days before renewal rank all renewed above all churned
    but one (a churned 70 above a renewed 60): AUC 8/9."""
    card = f"card-{run_id}"
    cases = [(90, "renewed"), (80, "expanded"), (60, "renewed"), (70, "churned"), (30, "churned"), (20, "churned")]
    for i, (score, outcome) in enumerate(cases):
        acct, ends = f"bt-{run_id}-{i}", today() - timedelta(days=10)
        oid = (await put_contract(http, contract(f"bt-{run_id}-{i}", acct, -10)))["renewal_opportunity_id"]
        at = datetime.combine(ends - timedelta(days=100), datetime.min.time(), UTC)
        colour = "green" if score >= 70 else "yellow" if score >= 50 else "red"
        await health_event(kafka_bootstrap, acct, score, colour, at=at, card=card)
        await health_event(kafka_bootstrap, acct, 5, "red", at=at + timedelta(days=30), card=card)  # too late to count
        close = {"outcome": outcome, "arr_change": 1000 if outcome == "expanded" else 0}
        close |= {"reason": "value_not_realised"} if outcome == "churned" else {}
        r = await http.post(f"/v1/opportunities/{oid}/close", json=close, headers=VP)
        assert r.status_code == 200, r.text

    async def counted() -> dict[str, Any] | None:
        r = (await http.get("/v1/backtest", params={"days_before": 90}, headers=VIEWER)).json()
        mine = r["by_scorecard_version"].get(f"{card}@v1")
        return mine if mine and mine["samples"] == len(cases) else None

    mine = await eventually(counted, what="the health history of all six accounts projected")
    assert mine["auc"] == pytest.approx(8 / 9, abs=1e-4)
    assert mine["churned"] == 3 and mine["churn_rate"] == 0.5
    assert mine["by_colour"]["red"]["churn_rate"] == 1.0 and mine["by_colour"]["red"]["lift"] == 2.0

    # at 60 days before, the late red 5s count instead: every score ties, no information
    async def late_counted() -> dict[str, Any] | None:
        # the late events are consumed after the early ones: wait until all six late reds are projected
        r = (await http.get("/v1/backtest", params={"days_before": 60}, headers=VIEWER)).json()
        mine = r["by_scorecard_version"].get(f"{card}@v1")
        return mine if mine and mine["by_colour"].get("red", {}).get("renewals") == len(cases) else None

    late = await eventually(late_counted, what="the late red scores of all six accounts projected")
    assert late["auc"] == 0.5


async def test_redelivered_events_change_nothing(http, renewals_db, kafka_bootstrap, run_id) -> None:
    from bellwether_shared.db import connect

    acct = f"redo-{run_id}"
    deal = iev.DealClosedWon(
        message_id=f"m-{run_id}",
        source_id="src",
        account_id=acct,
        received_at=datetime.now(UTC),
        occurred_at=datetime.now(UTC) - timedelta(days=300),
        deal_id=f"DR-{run_id}",
        arr=10_000,
        list_price=10_000,
        term_months=12,
        qualification=iev.Qualification(
            problem_severity=4,
            expected_duration_months=24,
            buying_department_fit=True,
            champion_fit=True,
            technology_ready=True,
            services_sold_hours=5,
            services_needed_hours=5,
        ),
    ).envelope(event_id=f"deal-{run_id}", source="bellwether/ingest")
    producer = create_producer(kafka_bootstrap, client_id="redeliver")
    await producer.start()
    try:
        async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
            await publish(producer, [deal, deal, deal], timeout_s=30)
            await health_event(kafka_bootstrap, acct, 40, "red")
            await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.opportunity_created.v1", acct)) >= 1)
            # once more, later, then a sentinel on the same partition (same key): once the sentinel is
            # projected, the repeat before it was consumed too
            sentinel = iev.ContactChanged(
                message_id=f"c-{run_id}",
                source_id="src",
                account_id=acct,
                received_at=datetime.now(UTC),
                occurred_at=datetime.now(UTC),
                contact_id="sentinel",
                is_champion=True,
            ).envelope(event_id=f"sentinel-{run_id}", source="bellwether/ingest")
            await publish(producer, [deal, sentinel], timeout_s=30)
            conn = await connect(renewals_db.url, schema="renewals")
            try:

                async def sentinel_seen() -> bool:
                    return bool(await conn.fetchval("SELECT count(*) FROM contacts WHERE account_id = $1", acct))

                await eventually(sentinel_seen, what="sentinel after the late repeat")
                contracts = await conn.fetchval("SELECT count(*) FROM contracts WHERE account_id = $1", acct)
                audited = await conn.fetchval("SELECT count(*) FROM audit_log WHERE entity_id = $1", f"DR-{run_id}")
                reviews = await conn.fetchval("SELECT count(*) FROM handoff_reviews WHERE account_id = $1", acct)
            finally:
                await conn.close()
            got = await read_through_sentinel(http, tail, acct, run_id)  # every event of the account so far
    finally:
        await producer.stop()
    assert (contracts, reviews, audited) == (1, 1, 2)  # contract created + review opened, once
    assert len(of(got, "bellwether.renewals.handoff_review_scored.v1", acct)) == 1
    assert len(of(got, "bellwether.renewals.opportunity_created.v1", acct)) == 1
    # (risk events are not counted here: in the whole suite the health service scores this account too,
    # and its real scores move the risk after the test's own health event)


async def test_signals_through_ingest_open_a_review_with_owners_and_champion_risk(
    ingest, source, http, kafka_bootstrap, run_id
) -> None:
    """From ingest's HTTP API to renewals: account upsert (owners, exposure), a closed-won deal whose
    contract ends within the lead time, then the champion leaves: the renewal turns at risk."""
    acct = f"e2e-{run_id}"
    started = today() - timedelta(days=300)
    signals = [
        {
            "type": "account.upserted",
            "account_id": acct,
            "tier": "mid",
            "exposure": "high",
            "owners": {"csm": "jane", "ae": "sam"},
        },
        {
            "type": "deal.closed_won",
            "account_id": acct,
            "deal_id": f"D-{run_id}",
            "arr": 30_000,
            "list_price": 40_000,
            "term_months": 12,
            "lead_source": "partner",
            "occurred_at": f"{started}T12:00:00Z",
            "qualification": {
                "problem_severity": 4,
                "expected_duration_months": 36,
                "buying_department_fit": True,
                "champion_fit": True,
                "technology_ready": True,
                "services_sold_hours": 10,
                "services_needed_hours": 10,
            },
        },
    ]
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        r = await http.post(f"{ingest.url}/v1/signals", json={"batch": signals}, auth=(source.write_key, ""))
        assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
        got = await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.opportunity_created.v1", acct)) == 1)
        created = of(got, "bellwether.renewals.opportunity_created.v1", acct)[0]
        assert created["owner_id"] == "jane" and created["renewal_date"] == str(add_months(started, 12))
        review = (await http.get(f"/v1/reviews/D-{run_id}", headers=VIEWER)).json()
        assert review["band"] == "good" and review["lead_source"] == "partner" and review["discount_pct"] == 25
        champion = {
            "type": "contact.changed",
            "account_id": acct,
            "contact_id": "c1",
            "is_champion": True,
            "departed": True,
        }
        r = await http.post(f"{ingest.url}/v1/signals", json=champion, auth=(source.write_key, ""))
        assert r.status_code == 200, r.text
        got = await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.risk_changed.v1", acct)) == 1)
    risk = of(got, "bellwether.renewals.risk_changed.v1", acct)[0]
    assert risk["at_risk"] is True
    assert {x["factor"] for x in risk["reasons"]} == {"champion_departed", "exposure_high"}


async def test_the_sweep_opens_renewals_and_announces_windows_as_days_pass(
    http, renewals_db, kafka_bootstrap, monkeypatch, run_id
) -> None:
    """Time alone: a contract 200 days out has no renewal; the sweep run as of 100 days later opens
    it (no window yet); as of 150 days later it announces the 60-day window, once even when re-run."""
    from bellwether_shared.db import create_pool
    from conftest import renewals_env
    from renewals.settings import RenewalsSettings
    from renewals.sweeps import sweep

    acct = f"sweep-{run_id}"
    assert (await put_contract(http, contract(f"sw-{run_id}", acct, 200)))["renewal_opportunity_id"] is None
    for k, v in renewals_env(renewals_db, kafka_bootstrap).items():
        monkeypatch.setenv(k, v)
    settings = RenewalsSettings()  # type: ignore[call-arg]
    pool = await create_pool(renewals_db.url, schema="renewals", min_size=1, max_size=2)
    oid = f"renewal-sw-{run_id}"
    now = datetime.now(UTC)
    try:
        async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
            assert (await sweep(pool, settings, now=now + timedelta(days=100)))["opened"] >= 1
            opp = (await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()
            assert opp["kind"] == "renewal" and opp["last_window"] is None and opp["days_to_renewal"] == 200
            await sweep(pool, settings, now=now + timedelta(days=150))
            await sweep(pool, settings, now=now + timedelta(days=150))
            await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.renewal_upcoming.v1", acct)) >= 1)
            got = await read_through_sentinel(http, tail, acct, run_id)
    finally:
        await pool.close()
    assert [p["opportunity_id"] for p in of(got, "bellwether.renewals.opportunity_created.v1", acct)] == [oid]
    upcoming = of(got, "bellwether.renewals.renewal_upcoming.v1", acct)
    assert [(u["window"], u["days_to_renewal"]) for u in upcoming] == [(60, 50)]
    trail = (
        await http.get("/v1/audit", params={"entity_type": "opportunity", "entity_id": oid}, headers=VIEWER)
    ).json()
    assert trail["entries"][-1]["actor"] == "system:sweep"


async def test_risk_weights_are_configurable_and_reassess_open_renewals(http, kafka_bootstrap, run_id) -> None:
    acct = f"weights-{run_id}"
    oid = (await put_contract(http, contract(f"w-{run_id}", acct, 40)))["renewal_opportunity_id"]
    assert (await http.put("/v1/risk/weights", json={"red": 10}, headers=CSM)).status_code == 403
    bad = await http.put("/v1/risk/weights", json={"red": -1}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "red"
    try:
        async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
            await health_event(kafka_bootstrap, acct, 30, "red")
            await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.risk_changed.v1", acct)) == 1)
            r = await http.put("/v1/risk/weights", json={"red": 10}, headers=ADMIN)
            assert r.status_code == 200 and r.json()["red"] == 10 and r.json()["champion_departed"] == 30
            assert r.json()["opportunities_reassessed"] >= 1
            got = await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.risk_changed.v1", acct)) == 2)
        left = of(got, "bellwether.renewals.risk_changed.v1", acct)[1]
        assert left["at_risk"] is False and left["points"] == 10
        opp = (await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()
        assert opp["risk_reasons"] == [{"factor": "health_red", "points": 10, "text": "health is red (30)"}]
    finally:
        await http.put("/v1/risk/weights", json={}, headers=ADMIN)
    assert (await http.get("/v1/risk/weights", headers=VIEWER)).json()["red"] == 40
    assert (await http.get(f"/v1/opportunities/{oid}", headers=VIEWER)).json()["at_risk"] is True


async def test_a_csm_changes_only_renewals_of_their_own_book(http, run_id) -> None:
    mine, theirs = f"book-{run_id}", f"other-book-{run_id}"
    await http.put(f"/v1/accounts/{mine}/owners", json={"csm": "csm@vendor.test", "reason": "r"}, headers=VP)
    await http.put(f"/v1/accounts/{theirs}/owners", json={"csm": "csm2@vendor.test", "reason": "r"}, headers=VP)
    own = (await put_contract(http, contract(f"m-{run_id}", mine, 50)))["renewal_opportunity_id"]
    other = (await put_contract(http, contract(f"o-{run_id}", theirs, 50)))["renewal_opportunity_id"]
    staged = await http.put(f"/v1/opportunities/{own}/stage", json={"stage": "in_progress"}, headers=CSM)
    refused = await http.put(f"/v1/opportunities/{other}/stage", json={"stage": "in_progress"}, headers=CSM)
    closing = await http.post(f"/v1/opportunities/{other}/close", json={"outcome": "renewed"}, headers=CSM)
    by_vp = await http.put(f"/v1/opportunities/{other}/stage", json={"stage": "committed"}, headers=VP)
    assert staged.status_code == 200, staged.text
    assert refused.status_code == 403 and "vp_cs or admin" in refused.json()["message"], refused.text
    assert f"{theirs} is csm2@vendor.test's" in refused.json()["message"]
    assert closing.status_code == 403 and by_vp.status_code == 200

"""Renewals' hand-off for real: a bad deal reviewed, rejected with the VP's approval (never the proposer's
own), an accepted deal audited and announced; bad input names the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bellwether_shared import topics
from devkit.kafka import TopicTail
from tests.support.renewals import ADMIN, CSM, CSM2, VIEWER, VP, contract, of, read_through_sentinel, today


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


BAD_DEAL = {
    "arr": 30_000,
    "list_price": 60_000,
    "term_months": 12,
    "lead_source": "webinar",
    "lead_score": 35,
    "qualification": {
        "problem_severity": 2,
        "expected_duration_months": 6,
        "buying_department_fit": True,
        "champion_fit": False,
        "technology_ready": True,
        "services_sold_hours": 0,
        "services_needed_hours": 20,
    },
}


async def test_review_reject_and_vp_approval(http, kafka_bootstrap, run_id) -> None:
    acct, deal = f"deal-{run_id}", f"D-{run_id}"
    await http.put(f"/v1/accounts/{acct}/owners", json={"csm": f"csm-{run_id}", "reason": "r"}, headers=CSM)
    body = {**BAD_DEAL, "deal_id": deal, "account_id": acct, "start_date": str(today()), "ae": "abe"}
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        r = await http.post("/v1/reviews", json=body, headers=CSM)
        assert r.status_code == 201, r.text
        review = r.json()
        assert review["band"] == "poor" and review["status"] == "open" and review["discount_pct"] == 50
        flagged = {f["criterion"] for f in review["flags"]}
        assert flagged == {"severe_problem", "long_term_use", "right_buyer", "enough_services", "value_priced"}
        assert (await http.post("/v1/reviews", json=body, headers=CSM)).json()["opened_at"] == review["opened_at"]

        bad = await http.post(f"/v1/reviews/{deal}/propose-rejection", json={"failed_criteria": ["nope"]}, headers=CSM)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "failed_criteria.0"
        assert (
            await http.post(
                f"/v1/reviews/{deal}/propose-rejection", json={"failed_criteria": ["right_buyer"]}, headers=VIEWER
            )
        ).status_code == 403
        r = await http.post(
            f"/v1/reviews/{deal}/propose-rejection",
            json={"failed_criteria": ["severe_problem", "right_buyer"], "note": "n"},
            headers=CSM,
        )
        assert r.status_code == 200 and r.json()["status"] == "rejection_proposed"
        assert (await http.post(f"/v1/reviews/{deal}/approve-rejection", json={}, headers=CSM2)).status_code == 403
        assert (await http.post(f"/v1/reviews/{deal}/approve-rejection", json={}, headers=ADMIN)).status_code == 403
        r = await http.post(f"/v1/reviews/{deal}/approve-rejection", json={"note": "agreed"}, headers=VP)
        assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decided_by"] == "vp@vendor.test"
        assert (await http.post(f"/v1/reviews/{deal}/approve-rejection", json={}, headers=VP)).status_code == 409
        got = await read_through_sentinel(http, tail, acct, run_id)
    types = [r.envelope.type for r in got if r.payload.get("account_id") == acct]
    assert types.count("bellwether.renewals.handoff_review_scored.v1") == 1
    assert types.count("bellwether.renewals.deal_rejection_proposed.v1") == 1
    rejected = of(got, "bellwether.renewals.deal_rejected.v1", acct)[0]
    assert rejected["approved_by"] == "vp@vendor.test" and rejected["proposed_by"] == "csm@vendor.test"
    # the contract exists, the AE became the account's AE; the account stays in the CSM's workload and
    # leaves the CSM's retention figures
    assert (await http.get(f"/v1/contracts/{deal}", headers=VIEWER)).json()["arr"] == 30_000
    assert (await http.get(f"/v1/accounts/{acct}", headers=VIEWER)).json()["ae"] == "abe"
    books = (await http.get("/v1/books", headers=VIEWER)).json()["owners"]
    mine = next(b for b in books if b["owner_id"] == f"csm-{run_id}")
    assert mine["accounts"] == 1 and mine["rejected_accounts"] == 1
    trail = (await http.get("/v1/audit", params={"entity_type": "review", "entity_id": deal}, headers=VIEWER)).json()
    assert [e["action"] for e in trail["entries"]] == ["rejection_approved", "rejection_proposed", "opened"]
    assert [e["actor"] for e in trail["entries"]][:2] == ["vp@vendor.test", "csm@vendor.test"]


async def test_accepting_a_deal_is_audited_and_announced(http, kafka_bootstrap, run_id) -> None:
    deal = f"ok-{run_id}"
    body = {**BAD_DEAL, "deal_id": deal, "account_id": f"a-{deal}", "start_date": str(today())}
    assert (await http.post("/v1/reviews", json=body, headers=CSM)).status_code == 201
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        r = await http.post(f"/v1/reviews/{deal}/accept", headers=CSM)
        assert r.status_code == 200 and r.json()["status"] == "accepted"
        got = await tail.collect(lambda rs: len(of(rs, "bellwether.renewals.deal_accepted.v1", f"a-{deal}")) == 1)
    assert of(got, "bellwether.renewals.deal_accepted.v1", f"a-{deal}")[0]["accepted_by"] == "csm@vendor.test"
    assert (await http.post(f"/v1/reviews/{deal}/accept", headers=CSM)).status_code == 409


async def test_the_proposer_cannot_approve_their_own_rejection(http, run_id) -> None:
    deal = f"self-{run_id}"
    body = {**BAD_DEAL, "deal_id": deal, "account_id": f"a-{deal}", "start_date": str(today())}
    assert (await http.post("/v1/reviews", json=body, headers=VP)).status_code == 201
    await http.post(f"/v1/reviews/{deal}/propose-rejection", json={"failed_criteria": ["value_priced"]}, headers=VP)
    r = await http.post(f"/v1/reviews/{deal}/approve-rejection", json={}, headers=VP)
    assert r.status_code == 403 and "proposes" in r.json()["message"]


async def test_bad_input_names_the_field(http) -> None:
    r = await http.put("/v1/contracts/x", json={**contract("x", "a", 10), "end_date": "2000-01-01"}, headers=CSM)
    assert r.status_code == 422 and "end_date must be after start_date" in r.json()["message"]
    r = await http.put("/v1/contracts/x", json={**contract("x", "a", 10), "arr": -1}, headers=CSM)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "arr"
    r = await http.put("/v1/contracts/y", json=contract("x", "a", 10), headers=CSM)
    assert r.status_code == 422 and r.json()["message"].startswith("contract_id")
    r = await http.post("/v1/opportunities/nope/close", json={"outcome": "expanded", "arr_change": -5}, headers=CSM)
    assert r.status_code == 422 and "positive" in r.json()["message"]
    r = await http.post("/v1/opportunities/nope/close", json={"outcome": "renewed"}, headers=CSM)
    assert r.status_code == 404 and r.json()["message"].startswith("opportunity_id")
    r = await http.put("/v1/capacity", json={"tiers": {"mid": 0}}, headers=ADMIN)
    assert r.status_code == 422 and "tiers.mid" in r.json()["message"]
    assert (await http.get("/v1/contracts")).status_code == 401
    assert (await http.get("/v1/contracts", headers={"Authorization": "Bearer wrong"})).status_code == 401

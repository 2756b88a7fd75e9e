"""The renewal lifecycle through the API: closing rolls the contract forward and opens the next renewal
in time; churn and downgrade say why, and the churn report sums it; the forecast by exposure and a
what-if scenario."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bellwether_shared.events.ingest import Exposure
from renewals.domain.lifecycle import add_months
from tests.support.renewals import ADMIN, VIEWER, VP, contract, put_contract, today, upsert_accounts
from tests.support.wait import eventually


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


async def test_closing_rolls_the_contract_forward_and_a_churn_says_why(http, run_id) -> None:
    acct = f"life-{run_id}"
    grow = (await put_contract(http, contract(f"grow-{run_id}", acct, 20, arr=50_000)))["renewal_opportunity_id"]
    lose = (await put_contract(http, contract(f"lose-{run_id}", acct, 30, arr=20_000)))["renewal_opportunity_id"]

    r = await http.post(
        f"/v1/opportunities/{grow}/close", json={"outcome": "expanded", "arr_change": 10_000}, headers=VP
    )
    assert r.status_code == 200, r.text
    old_end = today() + timedelta(days=20)
    nxt = (await http.get(f"/v1/contracts/grow-{run_id}@{old_end.isoformat()}", headers=VIEWER)).json()
    assert (nxt["start_date"], nxt["end_date"], nxt["arr"]) == (str(old_end), str(add_months(old_end, 12)), 60_000)
    # its renewal is a year out: not opened yet (the sweep opens it RENEWAL_LEAD_DAYS before its end)
    upcoming = (
        await http.get("/v1/opportunities", params={"account_id": acct, "stage": "upcoming"}, headers=VIEWER)
    ).json()["opportunities"]
    assert [o["contract_id"] for o in upcoming] == [f"lose-{run_id}"]

    missing = await http.post(f"/v1/opportunities/{lose}/close", json={"outcome": "churned"}, headers=VP)
    assert missing.status_code == 422 and "reason: required when the outcome is churned" in missing.text
    bad = await http.post(f"/v1/opportunities/{lose}/close", json={"outcome": "churned", "reason": "bored"}, headers=VP)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"
    r = await http.post(
        f"/v1/opportunities/{lose}/close",
        json={"outcome": "churned", "reason": "value_not_realised", "note": "never adopted"},
        headers=VP,
    )
    assert r.status_code == 200 and r.json()["close_reason"] == "value_not_realised", r.text
    gone = await http.get(f"/v1/contracts/lose-{run_id}@{(today() + timedelta(days=30)).isoformat()}", headers=VIEWER)
    assert gone.status_code == 404  # a churn rolls nothing forward

    report = (await http.get("/v1/reports/churn", headers=VIEWER)).json()
    mine = next(x for x in report["reasons"] if x["reason"] == "value_not_realised" and x["outcome"] == "churned")
    assert mine["renewals"] >= 1 and mine["arr_lost"] >= 20_000


async def test_a_contract_rolled_forward_within_the_lead_time_opens_its_renewal_at_once(http, run_id) -> None:
    """A one-month term: its next term ends inside RENEWAL_LEAD_DAYS (120), so its renewal opens now."""
    acct = f"life-short-{run_id}"
    body = contract(f"short-{run_id}", acct, 5, arr=12_000) | {"term_months": 1}
    opp = (await put_contract(http, body))["renewal_opportunity_id"]
    r = await http.post(f"/v1/opportunities/{opp}/close", json={"outcome": "renewed"}, headers=VP)
    assert r.status_code == 200, r.text
    next_id = f"short-{run_id}@{(today() + timedelta(days=5)).isoformat()}"
    nxt = (await http.get(f"/v1/contracts/{next_id}", headers=VIEWER)).json()
    renewals = (
        await http.get("/v1/opportunities", params={"account_id": acct, "stage": "upcoming"}, headers=VIEWER)
    ).json()["opportunities"]
    assert nxt["arr"] == 12_000 and [o["contract_id"] for o in renewals] == [next_id]


async def test_the_forecast_by_exposure_and_a_what_if(http, kafka_bootstrap, run_id) -> None:
    r = await http.put(
        "/v1/forecast/exposure-churn-rates", json={"high": 0.2, "moderate": 0.1, "low": 0.05}, headers=ADMIN
    )
    assert r.status_code == 200
    start, end = today() + timedelta(days=2000), today() + timedelta(days=2100)  # a window of this test's own
    exposures: tuple[Exposure, ...] = ("high", "low")
    accounts = [(f"fx-{run_id}-{i}", exposure) for i, exposure in enumerate(exposures)]
    for acct, _ in accounts:
        r = await http.put(
            f"/v1/contracts/{acct}",
            headers=VP,
            json={
                "contract_id": acct,
                "account_id": acct,
                "start_date": str(start - timedelta(days=365)),
                "end_date": str(start + timedelta(days=10)),
                "term_months": 12,
                "arr": 100_000,
            },
        )
        assert r.status_code == 200, r.text
    await upsert_accounts(kafka_bootstrap, *accounts)

    async def projected() -> bool:
        got = [(await http.get(f"/v1/accounts/{a}", headers=VIEWER)).json().get("exposure") for a, _ in accounts]
        return got == ["high", "low"]

    await eventually(projected, what="the exposures projected")
    params: dict[str, Any] = {
        "from": str(start),
        "to": str(end),
        "period": "year",
        "basis": "exposure",
        "what_if": ["high:0.5"],
    }
    got = (await http.get("/v1/forecast", params=params, headers=VIEWER)).json()
    assert got["basis"] == "exposure" and got["total_arr"] == 200_000
    assert got["expected_churn_arr"] == pytest.approx(100_000 * 0.2 + 100_000 * 0.05)
    assert got["what_if"]["arr_at_risk_delta"] == pytest.approx(100_000 * (0.5 - 0.2))
    bad = await http.get("/v1/forecast", params={"what_if": "huge:2"}, headers=VIEWER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "what_if"

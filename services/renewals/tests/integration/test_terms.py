"""Discounts that stay true and a term's lineage (through the API): each term has its own list price and
discount, a renewal concession raises the deep-discount factor, a temporary discount's end is a risk
reason, and every later term keeps the deal it came from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.renewals import ADMIN, CSM, VIEWER, VP, contract, put_contract, today


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


async def _renewal_of(http: httpx.AsyncClient, account: str, contract_id: str) -> dict[str, Any]:
    opps = (await http.get("/v1/opportunities", params={"account_id": account}, headers=VIEWER)).json()
    rows = [o for o in opps["opportunities"] if o["contract_id"] == contract_id and o["kind"] == "renewal"]
    assert len(rows) == 1, opps
    found: dict[str, Any] = rows[0]
    return found


async def test_a_concession_at_renewal_is_a_deeper_discount_and_a_temporary_one_ends(http, run_id) -> None:
    acct, deal = f"terms-{run_id}", f"DT-{run_id}"
    start = today() - timedelta(days=365 - 20)  # ends in 20 days: its renewal is open
    body = {
        "deal_id": deal,
        "account_id": acct,
        "arr": 60_000,
        "list_price": 60_000,
        "term_months": 12,
        "start_date": str(start),
    }
    r = await http.post("/v1/reviews", json=body, headers=CSM)
    assert r.status_code == 201, r.text
    first = await _renewal_of(http, acct, deal)
    ramp_end = today() + timedelta(days=20 + 200)
    r = await http.post(
        f"/v1/opportunities/{first['opportunity_id']}/close",
        json={
            "outcome": "downgraded",
            "arr_change": -20_000,
            "reason": "price",
            "temporary_discount": {"label": "renewal concession", "expires_on": str(ramp_end)},
        },
        headers=VP,
    )
    assert r.status_code == 200, r.text
    old_end = today() + timedelta(days=20)
    nxt_id = f"{deal}@{old_end.isoformat()}"
    nxt = (await http.get(f"/v1/contracts/{nxt_id}", headers=VIEWER)).json()
    # the same list price, 40,000 paid: a third off (was 0 %, copied forward before)
    assert (nxt["arr"], nxt["list_price"], round(nxt["discount_pct"], 2)) == (40_000, 60_000, 33.33)
    assert nxt["origin_deal_id"] == deal and nxt["deal_id"] is None  # its lineage: the deal it came from
    assert (nxt["temporary_discount_label"], nxt["temporary_discount_expires_on"]) == (
        "renewal concession",
        str(ramp_end),
    )

    # the next term's renewal (opened now, by a contract update that brings its end within the lead time)
    soon = {
        **contract(nxt_id, acct, 100, arr=40_000),
        "start_date": str(old_end),
        "list_price": 60_000,
        "temporary_discount": {"label": "renewal concession", "expires_on": str(ramp_end)},
    }
    soon["end_date"] = str(today() + timedelta(days=100))
    await put_contract(http, soon)
    renewal = await _renewal_of(http, acct, nxt_id)
    factors = {x["factor"]: x["text"] for x in renewal["risk_reasons"]}
    assert "deep_discount" in factors and "paying 67% of list price" in factors["deep_discount"]
    assert "discount_ending" not in factors  # it ends after this renewal: no rise at this one
    soon["temporary_discount"]["expires_on"] = str(today() + timedelta(days=90))
    await put_contract(http, soon)
    renewal = await _renewal_of(http, acct, nxt_id)
    factors = {x["factor"]: x["text"] for x in renewal["risk_reasons"]}
    assert "'renewal concession' ends on" in factors["discount_ending"]
    bad = await http.put(f"/v1/contracts/{nxt_id}", json={**soon, "temporary_discount": {"label": ""}}, headers=ADMIN)
    assert bad.status_code == 422 and "temporary_discount" in bad.json()["message"]

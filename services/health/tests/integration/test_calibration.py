"""Calibration through the running health service: renewal outcomes and the scores each account had
before them (a scorecard of this test's own, so no other test's data is a sample); the suggestion moves
the weight to the measure that told churn apart, judged on held-out renewals; only an admin applies it,
once, and only to the version it was computed on; too little evidence is said, not suggested."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx

from bellwether_shared.db import connect
from conftest import VIEWER_KEY
from health import calibration_repository

NOW = datetime.now(UTC)
VIEWER = {"Authorization": f"Bearer {VIEWER_KEY}"}


def card(run_id: str, name: str) -> dict[str, Any]:
    scale = [{"raw": 0, "score": 0}, {"raw": 100, "score": 100}]
    return {
        "name": f"{name} {run_id}",
        "tiers": [f"calib-{run_id}"],
        "min_measures": 1,
        "measures": [
            {
                "key": "active_users",
                "type": "active_users",
                "weight": 5,
                "params": {"window_days": 30},
                "scale": [{"raw": 0, "score": 0}, {"raw": 1, "score": 100}],
            },
            {
                "key": "breadth",
                "type": "feature_breadth",
                "weight": 2,
                "scale": scale,
                "params": {"window_days": 30, "features": ["Report Exported", "Alert Configured"]},
            },
            {"key": "champion", "type": "champion", "weight": 1, "params": {"window_days": 90}, "scale": scale},
        ],
    }


def measures(usage: float, breadth: float | None, champion: float) -> list[dict[str, Any]]:
    return [
        {"key": "active_users", "type": "active_users", "raw": usage / 100, "score": usage, "weight": 5},
        {"key": "breadth", "type": "feature_breadth", "raw": breadth, "score": breadth, "weight": 2},
        {"key": "champion", "type": "champion", "raw": champion, "score": champion, "weight": 1},
    ]


async def history(db_url: str, card_id: str, run_id: str, n: int) -> None:
    """``n`` closed renewals: churn follows the champion sub-score 40 days before; usage is noise. Five days
    before each renewal the picture is inverted, to show that the score N days before is the one used."""
    rnd = random.Random(3)
    conn = await connect(db_url, schema="health")
    try:
        for i in range(n):
            acct, churned = f"cal-{run_id}-{i}", i % 3 == 0
            renewal = (NOW - timedelta(days=10 + i)).date()
            champion = rnd.uniform(0, 40) if churned else rnd.uniform(45, 100)
            for days, champ in ((40, champion), (5, 100 - champion)):
                at = datetime.combine(renewal - timedelta(days=days), time(12), tzinfo=UTC)
                await conn.execute(
                    """INSERT INTO scores (account_id, computed_at, value, colour, sufficient, scorecard_id,
                                           scorecard_version, measures, reasons)
                       VALUES ($1, $2, 50, 'yellow', true, $3, 1, $4, '[]')""",
                    acct,
                    at,
                    card_id,
                    measures(rnd.uniform(0, 100), None if i % 5 == 0 else 50, champ),
                )
            await calibration_repository.record_outcome(
                conn,
                opportunity_id=f"opp-{acct}",
                account_id=acct,
                renewal_date=renewal,
                outcome="churned" if churned else rnd.choice(["renewed", "expanded", "downgraded"]),
                arr=10_000,
                closed_at=NOW,
            )
    finally:
        await conn.close()


async def test_a_suggestion_from_outcomes_applied_once_by_an_admin(health, health_db, api_headers, run_id) -> None:
    async with httpx.AsyncClient(base_url=health.url, timeout=30) as http:
        created = (await http.post("/v1/scorecards", json=card(run_id, "Calibrated"), headers=api_headers)).json()
        cid = created["id"]
        await history(health_db.url, cid, run_id, 60)
        r = await http.post(f"/v1/scorecards/{cid}/calibrations", json={"days_before": 30}, headers=api_headers)
        assert r.status_code == 201, r.text
        cal = r.json()
        res = cal["result"]
        assert (res["status"], res["outcomes"], res["churned"], res["kept"]) == ("suggested", 60, 20, 40)
        assert res["train"] + res["held_out"] == 60 and res["held_out"] >= 15
        weights = res["suggested_weights"]
        assert max(weights, key=weights.get) == "champion" and weights["champion"] > created["measures"][2]["weight"]
        assert res["suggested_auc"] > res["current_auc"] and res["suggested_auc"] >= 0.9
        # viewers read it; only an admin applies it
        listed = (await http.get(f"/v1/scorecards/{cid}/calibrations", headers=VIEWER)).json()["items"]
        assert [c["id"] for c in listed] == [cal["id"]]
        denied = await http.post(f"/v1/scorecards/{cid}/calibrations/{cal['id']}/apply", headers=VIEWER)
        assert denied.status_code == 403
        applied = await http.post(f"/v1/scorecards/{cid}/calibrations/{cal['id']}/apply", headers=api_headers)
        assert applied.status_code == 201, applied.text
        v2 = applied.json()
        assert v2["version"] == 2 and {m["key"]: m["weight"] for m in v2["measures"]} == weights
        assert v2["rescore_job_id"] is not None and v2["tiers"] == [f"calib-{run_id}"]
        twice = await http.post(f"/v1/scorecards/{cid}/calibrations/{cal['id']}/apply", headers=api_headers)
        seen = (await http.get(f"/v1/scorecards/{cid}/calibrations/{cal['id']}", headers=VIEWER)).json()
        # a suggestion computed on version 2 is refused once the card moved on to version 3
        again = (await http.post(f"/v1/scorecards/{cid}/calibrations", json={}, headers=api_headers)).json()
        await http.put(f"/v1/scorecards/{cid}", json=card(run_id, "Edited"), headers=api_headers)
        stale = await http.post(f"/v1/scorecards/{cid}/calibrations/{again['id']}/apply", headers=api_headers)
    assert twice.status_code == 409 and twice.json()["code"] == "already_applied"
    assert seen["applied_version"] == 2 and seen["applied_at"] is not None
    assert again["card_version"] == 2 and stale.status_code == 409 and "version 3" in stale.text


async def test_too_little_evidence_is_said_and_bad_input_is_named(health, api_headers, run_id) -> None:
    async with httpx.AsyncClient(base_url=health.url, timeout=30) as http:
        cid = (await http.post("/v1/scorecards", json=card(run_id, "Empty"), headers=api_headers)).json()["id"]
        r = await http.post(f"/v1/scorecards/{cid}/calibrations", json={}, headers=api_headers)
        apply = await http.post(f"/v1/scorecards/{cid}/calibrations/{r.json()['id']}/apply", headers=api_headers)
        bad = await http.post(f"/v1/scorecards/{cid}/calibrations", json={"days_before": 400}, headers=api_headers)
        missing = await http.post("/v1/scorecards/nope/calibrations", json={}, headers=api_headers)
    res = r.json()["result"]
    assert r.status_code == 201 and res["status"] == "insufficient_data" and res["suggested_weights"] is None
    assert "at least 20 needed" in res["notes"][0]
    assert apply.status_code == 409 and apply.json()["code"] == "nothing_to_apply"
    assert bad.status_code == 422 and "days_before" in bad.text
    assert missing.status_code == 404 and "card_id" in missing.text

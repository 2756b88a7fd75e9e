"""Every bad deal flagged: a deal from a CRM without the hand-off answers still opens its contract and a
review "answers missing"; CS records the answers at kickoff (audited, re-scored, announced), and any
failed criterion flags the deal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bellwether_shared import topics
from devkit.kafka import TopicTail
from tests.support.renewals import ADMIN, CSM, VIEWER, today


@pytest.fixture
async def http(renewals) -> Any:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=renewals.url, timeout=15) as client:
        yield client


ANSWERS = {
    "problem_severity": 4,
    "expected_duration_months": 36,
    "buying_department_fit": True,
    "champion_fit": True,
    "technology_ready": False,
    "services_sold_hours": 20,
    "services_needed_hours": 20,
}


def _scored(recs: list[Any], deal: str) -> list[dict[str, Any]]:
    return [
        r.payload
        for r in recs
        if r.envelope.type == "bellwether.renewals.handoff_review_scored.v1" and r.payload["deal_id"] == deal
    ]


async def test_a_deal_without_answers_opens_and_cs_answers_at_kickoff(http, kafka_bootstrap, run_id) -> None:  # type: ignore[no-untyped-def]
    acct, deal = f"noanswers-{run_id}", f"DN-{run_id}"
    body = {
        "deal_id": deal,
        "account_id": acct,
        "arr": 30000,
        "list_price": 30000,
        "term_months": 12,
        "start_date": str(today() - timedelta(days=10)),
    }
    async with TopicTail(kafka_bootstrap, topics.RENEWALS) as tail:
        r = await http.post("/v1/reviews", json=body, headers=CSM)
        assert r.status_code == 201, r.text
        opened = r.json()
        assert (opened["band"], opened["score"], opened["answers"], opened["contract_id"]) == (
            "answers_missing",
            None,
            None,
            deal,
        )

        bad = await http.put(
            f"/v1/reviews/{deal}/answers", json={"answers": {**ANSWERS, "problem_severity": 9}}, headers=CSM
        )
        assert bad.status_code == 422 and "problem_severity" in bad.json()["message"]
        viewer = await http.put(f"/v1/reviews/{deal}/answers", json={"answers": ANSWERS}, headers=VIEWER)
        assert viewer.status_code == 403
        missing = await http.put("/v1/reviews/nope/answers", json={"answers": ANSWERS}, headers=CSM)
        assert missing.status_code == 404

        r = await http.put(
            f"/v1/reviews/{deal}/answers", json={"answers": ANSWERS, "note": "kickoff call"}, headers=CSM
        )
        assert r.status_code == 200, r.text
        scored = r.json()
        # the only failed criterion is the technology: the deal is flagged poor, not "good" on points
        assert scored["band"] == "poor" and scored["score"] == 85
        assert [f["criterion"] for f in scored["flags"]] == ["technology_ready"]
        assert scored["answers_by"] == "csm@vendor.test" and scored["answers"]["technology_ready"] is False
        got = await tail.collect(lambda rs: len(_scored(rs, deal)) == 2)
    first, second = _scored(got, deal)
    assert (first["band"], first["flagged"], first["previous_band"]) == ("answers_missing", False, None)
    assert (second["band"], second["flagged"], second["previous_band"]) == ("poor", True, "answers_missing")
    assert second["scored_by"] == "csm@vendor.test"
    audit = (await http.get("/v1/audit", params={"entity_id": deal}, headers=ADMIN)).json()
    recorded = [a for a in audit["entries"] if a["action"] == "answers_recorded"]
    assert len(recorded) == 1 and recorded[0]["actor"] == "csm@vendor.test"
    assert recorded[0]["details"]["before"]["band"] == "answers_missing"
    assert recorded[0]["details"]["after"]["band"] == "poor" and recorded[0]["details"]["note"] == "kickoff call"

"""A ticket's contact reason comes from the company's taxonomy (CONTACT_REASONS): one in it is accepted,
one outside it is refused naming the field and the reasons it may be, and the rest of a batch is kept."""

from __future__ import annotations

import httpx


async def test_a_contact_reason_outside_the_taxonomy_is_refused_by_name(ingest, source, run_id) -> None:
    ticket = {"type": "ticket.changed", "account_id": f"acct-{run_id}", "status": "opened", "severity": "low"}
    ok = ticket | {"ticket_id": f"t1-{run_id}", "contact_reason": "how_to"}
    bad = ticket | {"ticket_id": f"t2-{run_id}", "contact_reason": "astrology"}
    async with httpx.AsyncClient() as http:
        one = await http.post(f"{ingest.url}/v1/signals", json=bad, auth=(source.write_key, ""))
        both = await http.post(f"{ingest.url}/v1/signals", json={"batch": [ok, bad]}, auth=(source.write_key, ""))
    assert one.status_code == 400
    err = one.json()
    assert err["field"] == "contact_reason" and err["reason"].startswith(
        "'astrology' is not one of the contact reasons"
    )
    assert "how_to" in err["reason"] and "outage" in err["reason"]
    assert both.status_code == 200 and both.json()["accepted"] == 1
    assert [(r["index"], r["field"]) for r in both.json()["rejected"]] == [(1, "contact_reason")]

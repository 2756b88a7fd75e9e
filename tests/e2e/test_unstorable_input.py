"""Values no database can hold are 4xx naming the field in every service, never a 500: a NUL
character in a body, a query or a path, and integers beyond 64 bits. Ingest's tracking and signal
endpoints reject the one event and keep the rest of the batch."""

from __future__ import annotations

import httpx
import pytest

from conftest import ADMIN_TOKEN, API_TOKEN, NOTIFICATIONS_TOKEN, renewals_headers

CASES = {  # service: (auth headers, a write with a NUL, a read with a huge int in the path, one in the query)
    "ingest": (
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ("POST", "/v1/sources", {"name": "a\u0000b"}, "name"),
        "/v1/sources/99999999999999999999",
        "/v1/rejected?before_id=99999999999999999999",
    ),
    "health": (
        {"Authorization": f"Bearer {API_TOKEN}"},
        ("POST", "/v1/milestones", {"key": "k\u0000"}, "key"),
        "/v1/rescore-jobs/99999999999999999999",
        "/v1/scorecards/default?version=99999999999999999999",
    ),
    "renewals": (
        renewals_headers("admin"),
        ("PUT", "/v1/accounts/a/owners", {"csm": "c\u0000", "reason": "r"}, "csm"),
        "/v1/opportunities/x",
        "/v1/contracts?offset=99999999999999999999",
    ),
    "notifications": (
        {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"},
        ("PUT", "/v1/people/p", {"name": "n\u0000"}, "name"),
        "/v1/deliveries/x",
        "/v1/alerts?limit=99999999999999999999",
    ),
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_nul_characters_and_huge_integers_are_422_naming_the_field(
    service: str, request: pytest.FixtureRequest
) -> None:
    svc = request.getfixturevalue(service)
    auth, (method, path, body, field), big_path, big_query = CASES[service]
    with httpx.Client(base_url=svc.url, headers=auth, timeout=30) as http:
        nul = http.request(method, path, json=body)
        in_query = http.get(path.split("?")[0] + "?x=a%00b") if method == "GET" else http.get("/v1/x?q=a%00b")
        huge_path = http.get(big_path)
        huge_query = http.get(big_query)
        nested = http.request(method, path, json={**body, field: 2**70})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == field, nul.text
    assert "NUL" in nul.json()["message"]
    assert in_query.status_code == 422 and in_query.json()["errors"][0]["field"] == "q"
    assert huge_query.status_code == 422 and "64-bit" in huge_query.text, huge_query.text
    assert huge_path.status_code in (404, 422), huge_path.text  # never a 500
    assert nested.status_code == 422 and nested.json()["errors"][0]["field"] == field


def test_ingest_rejects_only_the_event_with_a_nul_and_keeps_the_rest(ingest, source, run_id) -> None:
    batch = [
        {"type": "track", "userId": "u", "event": "ok", "messageId": f"{run_id}-0", "context": {"groupId": "g"}},
        {"type": "track", "userId": "u", "event": "bad\u0000", "messageId": f"{run_id}-1"},
    ]
    r = httpx.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(source.write_key, ""), timeout=30)
    nps = {"type": "nps.submitted", "account_id": "a\u0000", "contact_id": "c", "score": 9}
    signals = httpx.post(f"{ingest.url}/v1/signals", json={"batch": [nps]}, auth=(source.write_key, ""), timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert [(x["index"], x["field"]) for x in r.json()["rejected"]] == [(1, "event")]
    assert signals.status_code == 200 and signals.json()["rejected"][0]["field"] == "account_id"


def test_absurd_magnitudes_are_refused_on_write(renewals, ingest, source) -> None:
    """A list price of 8.4e307 accepted once broke later computations (risk weights, forecasts)."""
    deal = {
        "deal_id": "D-huge",
        "account_id": "a",
        "arr": 1,
        "list_price": 8.4e307,
        "term_months": 12,
        "start_date": "2026-01-01",
        "qualification": {
            "problem_severity": 3,
            "expected_duration_months": 12,
            "buying_department_fit": True,
            "champion_fit": True,
            "technology_ready": True,
            "services_sold_hours": 1,
            "services_needed_hours": 1,
        },
    }
    review = httpx.post(f"{renewals.url}/v1/reviews", json=deal, headers=renewals_headers("csm"), timeout=30)
    signal = {"type": "deal.closed_won", **{k: v for k, v in deal.items() if k != "start_date"}}
    sent = httpx.post(f"{ingest.url}/v1/signals", json=signal, auth=(source.write_key, ""), timeout=30)
    assert review.status_code == 422 and review.json()["errors"][0]["field"] == "list_price", review.text
    assert sent.status_code == 400 and sent.json()["field"] == "list_price", sent.text

"""Bounded requests: every list pages with a maximum page size, free text and list fields have
maximum sizes, each refusal a 422 naming the field."""

from __future__ import annotations

import httpx
import pytest

from conftest import ACCOUNTS_TOKEN, ADMIN_TOKEN, API_TOKEN, NOTIFICATIONS_TOKEN, renewals_headers

LISTS = {
    "ingest": ({"Authorization": f"Bearer {ADMIN_TOKEN}"}, ["/v1/sources", "/v1/rejected"]),
    "health": ({"Authorization": f"Bearer {API_TOKEN}"}, ["/v1/accounts", "/v1/scorecards", "/v1/milestones"]),
    "notifications": (
        {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"},
        ["/v1/rules", "/v1/people", "/v1/destinations", "/v1/subscriptions", "/v1/deliveries", "/v1/alerts"],
    ),
    "renewals": (
        renewals_headers("viewer"),
        ["/v1/contracts", "/v1/opportunities", "/v1/reviews", "/v1/audit", "/v1/requests"],
    ),
    "accounts": ({"Authorization": f"Bearer {ACCOUNTS_TOKEN}"}, ["/v1/accounts", "/v1/accounts/nobody/timeline"]),
}


@pytest.mark.parametrize("service", sorted(LISTS))
def test_every_list_refuses_a_page_over_the_maximum(service: str, request: pytest.FixtureRequest) -> None:
    svc = request.getfixturevalue(service)
    auth, paths = LISTS[service]
    with httpx.Client(base_url=svc.url, headers=auth, timeout=30) as http:
        for path in paths:
            ok = http.get(path, params={"limit": 2})
            over = http.get(path, params={"limit": 100_000})
            assert ok.status_code == 200, (path, ok.text)
            body = ok.json()
            rows = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
            assert len(rows) <= 2, path
            assert over.status_code == 422 and over.json()["errors"][0]["field"].endswith("limit"), (path, over.text)


def test_free_text_and_lists_have_maximum_sizes(notifications, renewals) -> None:
    auth = {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"}
    long_name = httpx.put(f"{notifications.url}/v1/people/p-long", json={"name": "x" * 10_001}, headers=auth)
    many = httpx.post(
        f"{notifications.url}/v1/subscriptions",
        headers=auth,
        json={"destination_id": "d", "recipient": "r", "event_types": ["t"] * 101},
    )
    note = httpx.post(
        f"{renewals.url}/v1/reviews/D/propose-rejection",
        headers=renewals_headers("csm"),
        json={"failed_criteria": ["right_buyer"], "note": "n" * 10_001},
    )
    assert long_name.status_code == 422 and long_name.json()["errors"][0]["field"] == "name", long_name.text
    assert many.status_code == 422 and many.json()["errors"][0]["field"] == "event_types", many.text
    assert note.status_code == 422 and note.json()["errors"][0]["field"] == "note", note.text

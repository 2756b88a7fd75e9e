"""One role model in every service, per route class: a viewer key reads everywhere and is refused
every configuration route with a 403 naming the admin role; the service's admin token configures.
(Renewals' csm / vp_cs rules are tested in its own suite.)"""

from __future__ import annotations

import httpx
import pytest

from conftest import ACCOUNTS_TOKEN, ADMIN_TOKEN, API_TOKEN, NOTIFICATIONS_TOKEN, VIEWER_KEY, renewals_headers

ADMIN = {"ingest": ADMIN_TOKEN, "health": API_TOKEN, "notifications": NOTIFICATIONS_TOKEN, "accounts": ACCOUNTS_TOKEN}
READS = {
    "ingest": ["/v1/sources", "/v1/rejected"],
    "health": ["/v1/accounts", "/v1/scorecards", "/v1/milestones", "/v1/segments"],
    "accounts": ["/v1/accounts", "/v1/accounts/nobody/timeline"],
    "notifications": [
        "/v1/rules",
        "/v1/people",
        "/v1/alerts",
        "/v1/destinations",
        "/v1/subscriptions",
        "/v1/deliveries",
        "/v1/tasks",
        "/v1/playbooks",
    ],
}
WRITES: dict[str, list[tuple[str, str, dict[str, object] | None]]] = {  # configuration: admin only
    "ingest": [("POST", "/v1/sources", {"name": "by-viewer"})],
    "health": [
        (
            "POST",
            "/v1/milestones",
            {"key": "k", "name": "n", "event": "e", "threshold": 1, "window_days": 7, "deadline_days": 30},
        ),
        ("DELETE", "/v1/scorecards/whatever", None),
        ("PUT", "/v1/segments/mine", {"name": "n", "filters": {"colour": "red"}}),
    ],
    "accounts": [],  # a read model: nothing to configure
    "notifications": [
        ("POST", "/v1/destinations", {"name": "d", "kind": "email", "target": "a@b.test"}),
        ("PUT", "/v1/people/p", {"role": "csm"}),
        ("DELETE", "/v1/rules/renewal-upcoming", None),
        ("POST", "/v1/digests/run", None),
        ("PUT", "/v1/playbooks/p", {"name": "n", "due_days": 1, "steps": [{"title": "t"}]}),
    ],
}


@pytest.mark.parametrize("service", sorted(READS))
def test_a_viewer_reads_but_may_not_configure(service: str, request: pytest.FixtureRequest) -> None:
    svc = request.getfixturevalue(service)
    viewer = {"Authorization": f"Bearer {VIEWER_KEY}"}
    with httpx.Client(base_url=svc.url, timeout=30) as http:
        reads = {p: http.get(p, headers=viewer).status_code for p in READS[service]}
        writes = [http.request(m, p, json=b, headers=viewer) for m, p, b in WRITES[service]]
        unknown = http.get(READS[service][0], headers={"Authorization": "Bearer not-a-key"})
        as_admin = http.get(READS[service][0], headers={"Authorization": f"Bearer {ADMIN[service]}"})
    assert set(reads.values()) == {200}, reads
    for w in writes:
        assert w.status_code == 403, w.text
        assert w.json()["needed_role"] == "admin" and "needs the admin role" in w.json()["message"]
    assert unknown.status_code == 401 and as_admin.status_code == 200


def test_renewals_denials_name_the_role_needed(renewals) -> None:
    with httpx.Client(base_url=renewals.url, timeout=30) as http:
        write = http.put("/v1/accounts/a/owners", json={"csm": "c", "reason": "r"}, headers=renewals_headers("viewer"))
        configure = http.put("/v1/risk/weights", json={"red": 10}, headers=renewals_headers("csm"))
    assert write.status_code == 403 and write.json()["needed_role"] == "csm"
    assert configure.status_code == 403 and configure.json()["needed_role"] == "admin"

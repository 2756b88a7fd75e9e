"""What a CSM looks at, end to end through every service: signals and usage into ingest; health places
the VP on the champion quadrant and computes a goal's progress; renewals opens the renewal and weighs
the risk; an angry NPS answer makes the VP a champion at risk, which alerts the CSM; the account view
shows the account whole and its timeline. No service calls another: all of it crosses Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conftest import ACCOUNTS_TOKEN, API_TOKEN, renewals_headers
from tests.support.wait import eventually

HEALTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACCOUNTS = {"Authorization": f"Bearer {ACCOUNTS_TOKEN}"}
NOW = datetime.now(UTC)


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


async def _signals(http: httpx.AsyncClient, ingest: Any, key: str, *batch: dict[str, Any]) -> None:
    r = await http.post(f"{ingest.url}/v1/signals", json={"batch": list(batch)}, auth=(key, ""))
    assert r.status_code == 200 and r.json()["accepted"] == len(batch), r.text


async def test_champions_goals_requests_risk_alerts_and_the_whole_account(
    ingest, health, renewals, notifications, accounts, source, run_id
) -> None:
    acct, vp_user = f"view-{run_id}", f"vp-user-{run_id}"
    csm, ae = f"cara-{run_id}", f"abe-{run_id}"
    q = {
        "problem_severity": 2,
        "expected_duration_months": 24,
        "buying_department_fit": True,
        "champion_fit": True,
        "technology_ready": True,
        "services_sold_hours": 10,
        "services_needed_hours": 10,
    }
    async with httpx.AsyncClient(timeout=15) as http:
        await _signals(
            http,
            ingest,
            source.write_key,
            {
                "type": "account.upserted",
                "account_id": acct,
                "name": "Acme",
                "tier": "mid",
                "seats": 10,
                "arr": 90_000,
                "exposure": "high",
                "lifecycle_stage": "adopting",
                "owners": {"csm": csm, "ae": ae},
                "occurred_at": _ago(1),
            },
            {
                "type": "contact.changed",
                "account_id": acct,
                "contact_id": "vp",
                "name": "Ana Silva",
                "title": "VP Operations",
                "seniority": "vp",
                "user_id": vp_user,
                "is_champion": True,
                "occurred_at": _ago(1),
            },
            {
                "type": "nps.submitted",
                "account_id": acct,
                "contact_id": "vp",
                "score": 9,
                "comment": "Love the weekly report",
                "occurred_at": _ago(0.5),
            },
            {
                "type": "ticket.changed",
                "account_id": acct,
                "ticket_id": "t1",
                "status": "opened",
                "severity": "medium",
                "requester_contact_id": "vp",
                "occurred_at": _ago(3),
            },
            {
                "type": "ticket.changed",
                "account_id": acct,
                "ticket_id": "t1",
                "status": "closed",
                "severity": "medium",
                "occurred_at": _ago(2.5),
            },
            {
                "type": "problem.recorded",
                "account_id": acct,
                "problem_id": "p1",
                "description": "Nice-to-have dashboards",
                "severity": 2,
            },
            {
                "type": "goal.updated",
                "account_id": acct,
                "goal_id": "g1",
                "name": "Weekly reports",
                "status": "in_progress",
                "metric": "reports exported per month",
                "baseline": 0,
                "target_value": 20,
                "linked_event": "Report Exported",
                "linked_window_days": 30,
                "due_date": (NOW + timedelta(days=20)).date().isoformat(),
            },
            {
                "type": "feature_request.status_changed",
                "account_id": acct,
                "request_id": f"sso-{run_id}",
                "title": "SSO",
                "status": "shipped",
                "contact_id": "vp",
            },
            {
                "type": "deal.closed_won",
                "account_id": acct,
                "deal_id": f"D-{run_id}",
                "arr": 90_000,
                "list_price": 100_000,
                "term_months": 12,
                "qualification": q,
                "occurred_at": _ago(300),
            },
        )
        usage = [
            {
                "type": "track",
                "userId": vp_user,
                "event": "Report Exported",
                "timestamp": _ago(d),
                "context": {"groupId": acct},
            }
            for d in range(12)
        ]
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": usage}, auth=(source.write_key, ""))
        assert r.status_code == 200, r.text

        async def placed() -> dict[str, Any] | None:
            got = await http.get(f"{health.url}/v1/accounts/{acct}/champions", headers=HEALTH)
            body = got.json() if got.status_code == 200 else None
            vp = next((c for c in body["contacts"] if c["contact_id"] == "vp"), None) if body else None
            return body if vp and vp["quadrant"] == "engaged_delighted" else None

        champions = await eventually(placed, timeout=60, what="the VP placed as a healthy champion")
        vp = champions["contacts"][0]
        assert (vp["influence"], vp["influential"], champions["healthy_influential"], champions["target"]) == (
            "high",
            True,
            1,
            2,
        )
        assert "used the product on 12 of the last 30 days" in vp["why"][0]

        async def progressed() -> dict[str, Any] | None:
            got = (await http.get(f"{health.url}/v1/accounts/{acct}/goals", headers=HEALTH)).json()
            return got if got["goals"] and got["goals"][0]["computed"] else None

        goals = await eventually(progressed, timeout=30, what="the goal's progress computed")
        assert (goals["goals"][0]["current_value"], goals["goals"][0]["progress_pct"]) == (12, 60.0)
        assert goals["problems"][0]["severity"] == 2

        # the VP turns unhappy (a detractor answer and a severe ticket left open for ten days): an influential
        # champion leaves the healthy quadrant
        await _signals(
            http,
            ingest,
            source.write_key,
            {
                "type": "nps.submitted",
                "account_id": acct,
                "contact_id": "vp",
                "score": 2,
                "comment": "Terrible support, nobody answers",
                "occurred_at": NOW.isoformat(),
            },
            {
                "type": "ticket.changed",
                "account_id": acct,
                "ticket_id": "t2",
                "status": "opened",
                "severity": "high",
                "requester_contact_id": "vp",
                "subject_line": "Exports fail",
                "occurred_at": _ago(10),
            },
        )

        seen: dict[str, Any] = {}

        async def whole() -> dict[str, Any] | None:
            got = await http.get(f"{accounts.url}/v1/accounts/{acct}", headers=ACCOUNTS)
            v = got.json() if got.status_code == 200 else None
            seen["last"] = v
            ready = (
                v
                and v["renewal"]
                and v["champions"]["healthy_influential"] == 0
                and any(a["rule_id"] == "champion-at-risk" for a in v["recent_alerts"])
                and any(g["computed"] for g in v["goals"])
                and v["contracts"]
                and "no_healthy_champion" in {r["factor"] for r in v["renewal"]["risk_reasons"]}
            )
            return v if ready else None

        try:
            view = await eventually(whole, timeout=90, what="the whole account in the account view")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the view as last seen: {seen.get('last')}") from None
        timeline = (
            await http.get(
                f"{accounts.url}/v1/accounts/{acct}/timeline", headers=ACCOUNTS, params={"kind": ["champion", "alert"]}
            )
        ).json()
        requests = (
            await http.get(
                f"{renewals.url}/v1/requests", params={"account_id": acct}, headers=renewals_headers("viewer")
            )
        ).json()
        queue = (
            await http.get(f"{renewals.url}/v1/attention", params={"owner_id": csm}, headers=renewals_headers("viewer"))
        ).json()
        book = (await http.get(f"{health.url}/v1/accounts", params={"owner": csm}, headers=HEALTH)).json()
        fell = (
            await http.get(
                f"{health.url}/v1/accounts", params={"saved": "no-healthy-champion", "owner": csm}, headers=HEALTH
            )
        ).json()
    assert view["owners"]["csm"] == csm and view["lifecycle_stage"] == "adopting"
    assert view["health"]["colour"] in ("red", "yellow", "green") and set(view["health"]["trend"]) == {
        "7d",
        "30d",
        "90d",
    }
    ana = view["champions"]["contacts"][0]
    assert (ana["name"], ana["quadrant"]) == ("Ana Silva", "engaged_not_delighted")
    assert view["renewal"]["days_to_renewal"] <= 90 and view["contracts"][0]["arr"] == 90_000
    factors = {r["factor"] for r in view["renewal"]["risk_reasons"]}
    assert {"no_healthy_champion", "low_severity_high_exposure"} <= factors
    assert view["nps"][0]["comment"] == "Terrible support, nobody answers"
    assert [r["title"] for r in view["requests"]["shipped"]] == ["SSO"]
    alert = next(a for a in view["recent_alerts"] if a["rule_id"] == "champion-at-risk")
    assert "not delighted" in alert["text"] and {r["recipient"] for r in alert["recipients"]} == {csm, ae}
    kinds = [e["kind"] for e in timeline["items"]]
    assert set(kinds) == {"champion", "alert"} and "Champion at risk" in " ".join(e["title"] for e in timeline["items"])
    assert requests["requests"][0]["arr_at_stake"] == 90_000 and requests["requests"][0]["renewing_within_90_days"] == [
        acct
    ]
    top = queue["accounts"][0]
    assert top["account_id"] == acct and "no healthy influential champion" in top["why"]
    assert [a["account_id"] for a in book["items"]] == [acct] and [a["account_id"] for a in fell["items"]] == [acct]

    # the executive report of this quarter sees the renewal coming, as JSON and as a page
    period = f"{NOW.year}-Q{(NOW.month - 1) // 3 + 1}"
    async with httpx.AsyncClient(timeout=30) as http:
        doc = await http.get(f"{accounts.url}/v1/reports/executive", params={"period": period}, headers=ACCOUNTS)
        page = await http.get(
            f"{accounts.url}/v1/reports/executive", params={"period": period, "format": "html"}, headers=ACCOUNTS
        )
    assert doc.status_code == 200, doc.text
    assert sum(sum(q.values()) for q in doc.json()["forecast"].values()) >= 90_000
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Executive report {period}" in page.text and page.text.count("Plotly.newPlot") >= 7


async def test_the_executive_report_names_a_bad_period_and_wants_a_key(accounts) -> None:
    async with httpx.AsyncClient(timeout=15) as http:
        bad = await http.get(f"{accounts.url}/v1/reports/executive", params={"period": "2026-Q5"}, headers=ACCOUNTS)
        anonymous = await http.get(f"{accounts.url}/v1/reports/executive", params={"period": "2026-Q4"})
        # a year whose quarters around it are no dates was a 500 (schemathesis found 0001-Q1)
        edges = [
            await http.get(f"{accounts.url}/v1/reports/executive", params={"period": p}, headers=ACCOUNTS)
            for p in ("0001-Q1", "9999-Q4", "9999-Q1")
        ]
    assert bad.status_code == 422 and "period" in bad.text
    assert anonymous.status_code == 401
    assert [(e.status_code, e.json()["errors"][0]["field"]) for e in edges] == [(422, "period")] * 3


def test_the_operator_cli_writes_the_report_and_prints_its_figures(accounts, tmp_path) -> None:
    from typer.testing import CliRunner

    from tools.devstack import cli

    out = tmp_path / "reports" / "report.html"
    common = ["report", "--out", str(out), "--url", accounts.url, "--token", ACCOUNTS_TOKEN]
    done = CliRunner().invoke(cli, [*common, "--period", "2026-Q4"], terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "Executive report 2026-Q4" in out.read_text() and "gross revenue retention" in done.output
    assert str(out.resolve()) in done.output.replace("\n", "")
    bad = CliRunner().invoke(cli, [*common, "--period", "2026-Q9"], terminal_width=200)
    assert bad.exit_code == 1 and "422" in bad.output and "period" in bad.output

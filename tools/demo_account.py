"""The demo's close-up of one account: its champions on the quadrant, a goal partly met, a request
shipped, and its timeline (health, renewals and the account view, read through their APIs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table


def _people(account: str, today: date) -> list[dict[str, Any]]:
    """The champions: the VP (the first user, by id) and the director (by the e-mail the product knows),
    an NPS answer and a ticket."""
    return [
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "name": "Ana Silva",
            "title": "VP Operations",
            "seniority": "vp",
            "user_id": f"{account}-user1",
            "is_champion": True,
            "can_promote": True,
            "owns_relationship_next_12m": True,
        },
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"{account}-dir",
            "name": "Bo Chen",
            "title": "Director of IT",
            "seniority": "director",
            "email": "user2@acct1.example",
        },
        {
            "type": "nps.submitted",
            "account_id": account,
            "contact_id": f"{account}-dir",
            "score": 5,
            "comment": "Setup was slow and the SSO we need is still missing",
        },
        {
            "type": "ticket.changed",
            "account_id": account,
            "ticket_id": f"{account}-sso",
            "status": "opened",
            "severity": "high",
            "requester_contact_id": f"{account}-dir",
            "subject_line": "SSO login fails",
            "contact_reason": "bug",
            "occurred_at": f"{today - timedelta(days=9)}T10:00:00Z",
        },
    ]


def _goals(account: str, today: date) -> list[dict[str, Any]]:
    """The problem bought for, two goals (one partly met) and a value review."""
    return [
        {
            "type": "problem.recorded",
            "account_id": account,
            "problem_id": "reporting",
            "description": "Weekly operations reporting takes two people a full day",
            "severity": 4,
        },
        {
            "type": "goal.updated",
            "account_id": account,
            "goal_id": "report-time",
            "name": "Cut reporting time",
            "status": "in_progress",
            "metric": "hours per weekly report",
            "baseline": 16,
            "target_value": 2,
            "current_value": 8,
            "due_date": str(today - timedelta(days=1)),
        },
        {
            "type": "goal.updated",
            "account_id": account,
            "goal_id": "exports",
            "name": "Reports exported each month",
            "status": "in_progress",
            "metric": "exports in 30 days",
            "baseline": 0,
            "target_value": 40,
            "linked_event": "Report Exported",
            "linked_window_days": 30,
            "due_date": str(today + timedelta(days=60)),
        },
        {
            "type": "value_review.recorded",
            "account_id": account,
            "review_id": "last-review",
            "reviewed_on": str(today - timedelta(days=40)),  # monthly for high touch: the next is overdue
            "outcome": "partially_met",
            "notes": "reporting faster, not yet at target",
            "goal_ids": ["report-time"],
        },
    ]


def _requests(account: str, today: date) -> list[dict[str, Any]]:
    """Two feature requests, one shipped."""
    return [
        {
            "type": "feature_request.status_changed",
            "account_id": account,
            "request_id": "demo-bulk-export",
            "title": "Bulk export",
            "status": "shipped",
            "contact_id": f"{account}-vp",
        },
        {
            "type": "feature_request.status_changed",
            "account_id": account,
            "request_id": "demo-sso",
            "title": "SAML SSO",
            "status": "planned",
            "kind": "feature",
            "blocking": True,
            "contact_id": f"{account}-dir",
        },
    ]


def _engagement(account: str, today: date) -> list[dict[str, Any]]:
    """The CRM says the account can grow a lot and wants a person: the rule makes it high touch; its
    last business review was 100 days ago, so the one promised each quarter is overdue (its last value
    review, among the goals, was 40 days ago: the monthly one is overdue too)."""
    return [
        {"type": "account.upserted", "account_id": account, "growth_potential": "high"},
        {
            "type": "touch.recorded",
            "account_id": account,
            "touch_id": "qbr-last",
            "kind": "business_review",
            "outcome": "done",
            "held_on": str(today - timedelta(days=100)),
            "by_person": "csm_0",
        },
    ]


def _support(account: str) -> list[dict[str, Any]]:
    """The support desk: three tickets with their contact reason (how-to, onboarding, a feature gap)."""
    reasons = [("how_to", "closed"), ("onboarding", "opened"), ("feature_gap", "opened")]
    return [
        {
            "type": "ticket.changed",
            "account_id": account,
            "ticket_id": f"{account}-s{i}",
            "status": status,
            "severity": "low",
            "contact_reason": reason,
        }
        for i, (reason, status) in enumerate(reasons)
    ]


def signals(account: str) -> list[dict[str, Any]]:
    """What a CRM, a survey tool and a support desk say about the account, beyond the basics: the VP is
    its first user (by id), the director its second (by the e-mail the product knows)."""
    today = date.today()
    found = [*_people(account, today), *_goals(account, today), *_requests(account, today)]
    return [*found, *_engagement(account, today), *_support(account)]


async def _get(http: httpx.AsyncClient, url: str, **params: Any) -> Any:
    r = await http.get(url, params=params)
    return r.json() if r.status_code == 200 else None


def _table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> Table:
    t = Table(title=title)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    return t


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"  # missing data is never zero


def _contact(c: dict[str, Any]) -> tuple[str, ...]:
    name = c["name"] or c["contact_id"]
    return name, str(c["influence"]), _score(c["engagement"]), _score(c["delight"]), c["quadrant"], "; ".join(c["why"])


def _goal(g: dict[str, Any]) -> tuple[str, ...]:
    progress = f"{g['baseline']} → {g['target_value']}"
    return g["name"], str(g["metric"]), progress, str(g["current_value"]), f"{g['progress_pct']} %", g["status"]


def _request(r: dict[str, Any]) -> tuple[str, ...]:
    renewing = ", ".join(r["renewing_within_90_days"]) or "-"
    return r["title"], r["status"], str(r["blocking"]), f"{r['arr_at_stake']:,.0f}", renewing


def _tables(account: str, champions: Any, goals: Any, requests: Any, timeline: Any) -> list[Table]:
    events = [(str(e["occurred_at"])[:19], e["kind"], e["title"]) for e in (timeline or {}).get("items", [])]
    return [
        _table(
            f"{account}: champions on the quadrant (health)",
            ("contact", "influence", "engagement", "delight", "quadrant", "why"),
            [_contact(c) for c in (champions or {}).get("contacts", [])],
        ),
        _table(
            f"{account}: the problem bought for, goals and value (health)",
            ("goal", "metric", "baseline → target", "now", "progress", "status"),
            [_goal(g) for g in (goals or {}).get("goals", [])],
        ),
        _table(
            f"{account}: requests and bugs (renewals)",
            ("request", "status", "blocking", "ARR at stake", "renewing within 90 days"),
            [_request(r) for r in (requests or {}).get("requests", [])],
        ),
        _table(f"{account}: timeline, newest first (accounts)", ("when", "kind", "what"), events),
    ]


def _supported(console: Console, s: dict[str, Any]) -> None:
    """The account's support as a support leader reads it (health's GET /v1/accounts/{id}/support)."""
    rate = f"{s['contact_rate']:.2f} per active user" if s["contact_rate"] is not None else "no active user"
    bugs = f"{s['bug_share']:.0%} linked to bugs" if s["bug_share"] is not None else "none linked to bugs"
    reasons = ", ".join(f"{r['reason'].replace('_', ' ')} {r['tickets']}" for r in s["top_reasons"]) or "none"
    console.print(
        f"  support, last {s['window_days']} days: {s['tickets']} tickets, {rate}, {bugs}; reasons: {reasons}"
    )
    for w in s["unfulfilled_requests"]:
        console.print(f"  waiting: {w['title']} ({w['status']}, {w['age_days']} days)")


def _engaged(console: Console, e: dict[str, Any]) -> None:
    console.print(f"  engagement: {e['model'].replace('_', ' ')} ({e['decided_by']}: {e['reason']})")
    for t in e["touches"]:
        if t["overdue"]:
            last = f"last held {t['last_done']}" if t["last_done"] else "none held yet"
            console.print(f"  overdue: {t['kind'].replace('_', ' ')} due {t['due_on']} ({last})")


async def show(console: Console, account: str, *, health: str, renewals: str, accounts: str, token: str) -> None:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        deadline = time.monotonic() + 30
        view: Any = None
        while time.monotonic() < deadline:  # bounded: until the account view has caught up
            view = await _get(http, f"{accounts}/v1/accounts/{account}")
            if view and view["champions"]["contacts"] and view["requests"]["shipped"] and view["renewal"]:
                break
            await asyncio.sleep(0.5)
        champions = await _get(http, f"{health}/v1/accounts/{account}/champions")
        goals = await _get(http, f"{health}/v1/accounts/{account}/goals")
        requests = await _get(http, f"{renewals}/v1/requests", account_id=account)
        support = await _get(http, f"{health}/v1/accounts/{account}/support")
        timeline = await _get(http, f"{accounts}/v1/accounts/{account}/timeline", limit=15)
    champion_table, goal_table, request_table, timeline_table = _tables(account, champions, goals, requests, timeline)
    console.print(champion_table)
    console.print(goal_table)
    for p in (goals or {}).get("problems", []):
        console.print(f"  problem: {p['description']} (severity {p['severity']}/5)")
    console.print(request_table)
    if support:
        _supported(console, support)
    console.print(timeline_table)
    if view:
        _engaged(console, view["engagement"])
        ladder = view["value_ladder"]
        if ladder["rung"]:
            console.print(
                f"  value ladder: step {ladder['step']} of 4, {ladder['rung'].replace('_', ' ')} ({ladder['reason']})"
            )
        r = view["renewal"]
        console.print(
            f"  whole account: {accounts}/v1/accounts/{account} — health {view['health']['colour']}, "
            f"renews in {r['days_to_renewal']} days, risk {r['risk_level']}"
        )

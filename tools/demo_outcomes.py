"""The demo from risk to action and to the executive view: one account grows (broad adoption, a healthy
champion, more users than a month before) and renewals opens an expansion for it; a CSM works the task
the champion's departure opened; renewals close (kept, grown, shrunk, lost) and a scorecard is calibrated
against them. Every step goes through the services' APIs; every wait is bounded."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.table import Table
from segment.analytics import Client

T = TypeVar("T")
GROWING = 4  # the demo's fifth account (index 4) is the one ready to grow


def grow_signals(account: str) -> list[dict[str, Any]]:
    """Its VP (the champion) is its first user, and delighted."""
    return [
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "name": "Noor Haddad",
            "title": "VP Operations",
            "seniority": "vp",
            "user_id": f"{account}-user1",
            "is_champion": True,
            "can_promote": True,
            "owns_relationship_next_12m": True,
        },
        {
            "type": "nps.submitted",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "score": 10,
            "comment": "The team lives in it now",
        },
    ]


def grow_usage(client: Client, account: str, users: int, features: list[str], now: datetime) -> int:
    """A month earlier, one user fewer: the growth the readiness check looks for."""
    sent = 0
    for u in range(1, users):
        for d in range(35, 50, 2):
            client.track(
                user_id=f"{account}-user{u}",
                event=features[d % len(features)],
                properties={"demo": True},
                context={"groupId": account},
                timestamp=now - timedelta(days=d),
            )
            sent += 1
    return sent


MILESTONE = {
    "key": "first-reports",
    "name": "First reports exported",
    "event": "Report Exported",
    "threshold": 3,
    "window_days": 30,
    "deadline_days": 45,
}


async def prepare(health: str, renewals: str, token: str) -> None:
    """A milestone for time to value, and the ownership policy routing expansions by growth type (more of
    the same to the CSM, new products and divisions to the AE)."""
    await define_milestone(health, token)
    async with httpx.AsyncClient(base_url=renewals, headers={"Authorization": f"Bearer {token}"}) as http:
        policy = (await http.get("/v1/policy")).json()
        policy = {k: v for k, v in policy.items() if k not in ("updated_at", "updated_by")}
        (await http.put("/v1/policy", json=policy | {"growth_type_decides": True})).raise_for_status()


async def define_milestone(health: str, token: str) -> None:
    """Time to value: the first reports exported (defined before the usage that reaches it)."""
    async with httpx.AsyncClient(base_url=health, headers={"Authorization": f"Bearer {token}"}) as http:
        r = await http.post("/v1/milestones", json=MILESTONE)
        if r.status_code not in (201, 409):  # 409: defined by an earlier run
            r.raise_for_status()


async def _until(what: str, probe: Callable[[], Awaitable[T | None]], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await probe()
        if got is not None:
            return got
        await asyncio.sleep(0.5)
    raise TimeoutError(f"demo: gave up waiting for {what} after {timeout:.0f} s")


async def expansion(console: Console, renewals: str, token: str, account: str) -> None:
    async with httpx.AsyncClient(base_url=renewals, headers={"Authorization": f"Bearer {token}"}) as http:

        async def opened() -> dict[str, Any] | None:
            r = await http.get("/v1/opportunities", params={"account_id": account, "kind": "expansion"})
            found = r.json().get("opportunities", []) if r.status_code == 200 else []
            return found[0] if found else None

        opp = await _until(f"an expansion for {account}", opened)
    t = Table(title=f"Expansion opened for {account}: health found it ready to grow (renewals service)")
    for col in ("opportunity", "ARR (estimate)", "owner", "why"):
        t.add_column(col)
    why = "; ".join(opp.get("signal_reasons") or []) or "-"
    t.add_row(opp["opportunity_id"], f"{opp['arr']:,.0f}", f"{opp['owner_id']} ({opp['owner_role']})", why)
    console.print(t)


async def task_life(console: Console, notify: str, token: str, account: str) -> None:
    """The task the champion's departure opened: started, then done with what came of it."""
    async with httpx.AsyncClient(base_url=notify, headers={"Authorization": f"Bearer {token}"}) as http:

        async def opened() -> dict[str, Any] | None:
            r = await http.get("/v1/tasks", params={"account_id": account, "status": "open"})
            found = [x for x in r.json().get("tasks", []) if x["playbook_id"] == "champion-left"]
            return found[0] if found else None

        task = await _until(f"the champion-left task of {account}", opened)
        tid = task["task_id"]
        outcome = "new champion mapped: the Director of IT; exec sponsor met"
        for change in (
            {"action": "start", "note": "called the Director of IT"},
            {"action": "done", "outcome": outcome},
        ):
            (await http.post(f"/v1/tasks/{tid}/changes", json=change)).raise_for_status()
        done = (await http.get(f"/v1/tasks/{tid}")).json()
    t = Table(title=f"A task's life: {done['title']} (owner {done['owner_id']}, playbook {done['playbook_id']})")
    for col in ("when", "who", "what", "details"):
        t.add_column(col)
    for h in done["history"]:
        said = ", ".join(f"{k}: {v}" for k, v in h["details"].items() if v is not None)
        t.add_row(str(h["at"])[:19], h["actor"], h["action"], said)
    console.print(t)
    console.print(f"steps: {' / '.join(s['title'] for s in done['steps'])}")


CLOSES = {  # account index → outcome, ARR change as a share of the ARR, reason
    1: ("churned", -1.0, "champion_left"),
    2: ("expanded", 0.2, None),
    3: ("downgraded", -0.3, "budget"),
    4: ("renewed", 0.0, None),
}


async def close_renewals(console: Console, renewals: str, token: str, accounts: list[str]) -> str:
    """Close four renewals (early, as customers often sign); the quarter most of them fall in."""
    t = Table(title="Renewals closed (renewals service): a churn and a downgrade say why")
    for col in ("account", "renewal date", "outcome", "ARR change", "reason", "next term"):
        t.add_column(col)
    quarters: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=renewals, headers={"Authorization": f"Bearer {token}"}) as http:
        for i, (outcome, share, reason) in CLOSES.items():
            listed = (await http.get("/v1/opportunities", params={"account_id": accounts[i], "kind": "renewal"})).json()
            opp = next(o for o in listed["items"] if o.get("outcome") is None)
            body = {"outcome": outcome, "arr_change": round(opp["arr"] * share, 2), "reason": reason}
            r = await http.post(f"/v1/opportunities/{opp['opportunity_id']}/close", json=body)
            r.raise_for_status()
            day = date.fromisoformat(opp["renewal_date"])
            quarters[f"{day.year}-Q{(day.month - 1) // 3 + 1}"] += 1
            terms = (await http.get("/v1/contracts", params={"account_id": accounts[i]})).json()["items"]
            nxt = next((c for c in terms if c["contract_id"].startswith(f"{opp['contract_id']}@")), None)
            t.add_row(
                accounts[i],
                opp["renewal_date"],
                outcome,
                f"{body['arr_change']:+,.0f}",
                reason or "-",
                f"{nxt['start_date']} → {nxt['end_date']}, {nxt['arr']:,.0f}" if nxt else "-",
            )
    console.print(t)
    return quarters.most_common(1)[0][0]


async def calibrate(console: Console, health: str, token: str) -> None:
    """Calibrate the default scorecard on the closed renewals (scores of the day they closed, as the demo
    has no history): four outcomes are too few, and the answer says so rather than suggest."""
    async with httpx.AsyncClient(base_url=health, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:

        async def recorded() -> dict[str, Any] | None:
            r = await http.post("/v1/scorecards/default/calibrations", json={"days_before": 0})
            res = r.json()["result"] if r.status_code == 201 else {}
            return r.json() if res.get("closed_renewals", 0) >= len(CLOSES) else None

        cal = await _until("health to hear of the closed renewals", recorded)
    res = cal["result"]
    console.print(
        f"Calibration {cal['id']} of scorecard default v{cal['card_version']}: {res['status']} — "
        f"{res['outcomes']} outcomes ({res['churned']} churned); {'; '.join(res['notes'])}"
    )

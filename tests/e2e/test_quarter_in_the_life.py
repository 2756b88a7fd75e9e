"""A quarter in the life of a CSM, against the running services (issue: what a CSM hears must be true).

Two dozen existing customers go live (the CRM's news first, their product usage after, a month of it
compressed), some of their deals badly sold; a champion leaves a strategic account renewing in 60 days;
renewals close (one churns); a feature ships for three accounts that asked for it. After each step,
once nothing is in flight anywhere (tests/support/quiet.py) and the grouping window has passed, the
test compares the exact alerts, incidents, messages and tasks each person got with what the domain
says they must get, nothing more; and the exact hand-off flags of every deal.

Notifications runs here with its own database and a 20 s grouping window (the session's runs with the
default 10 minutes), so the quarter's steps, minutes apart in the test, are as far apart as weeks are
for the people in it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import migrated, new_database, notifications_env, renewals_headers
from devkit.receiver import Receiver
from devkit.services import ServiceProcess
from tests.support.notifications import AUTH, person, webhook_for
from tests.support.quiet import Db, Group, quiet
from tests.support.wait import eventually

# one cause's consequences arrive well inside it however slow the machine (seconds apart at most);
# between steps the test waits it out, so each step starts incidents of its own
WINDOW_S = 20.0
VP_RENEWALS = renewals_headers("vp")
NOW = datetime.now(UTC)
GOOD: dict[str, int | bool] = {
    "problem_severity": 4,
    "expected_duration_months": 36,
    "buying_department_fit": True,
    "champion_fit": True,
    "technology_ready": True,
    "services_sold_hours": 20,
    "services_needed_hours": 20,
}
# account index → the one answer that fails (None: the CRM sent no answers)
BAD: dict[int, dict[str, int | bool] | None] = {
    4: {"technology_ready": False},
    5: {"expected_duration_months": 12},
    6: {"services_needed_hours": 40},
    7: None,
}
RENEWS_IN = {0: 80, 1: 250, 2: 20, 3: 30}  # days; the others renew in 200-310 days (no renewal open yet)


@dataclass
class Cast:
    run_id: str
    csm: str = ""
    director: str = ""  # the strategic account's CSM
    ae: str = ""
    vp: str = ""
    accounts: list[str] = field(default_factory=list)
    strategic: str = ""

    def __post_init__(self) -> None:
        r = self.run_id
        self.csm, self.director, self.ae, self.vp = f"q-cara-{r}", f"q-dora-{r}", f"q-abe-{r}", f"q-vic-{r}"
        self.accounts = [f"q{i}-{r}" for i in range(23)]
        self.strategic = f"qs-{r}"

    @property
    def people(self) -> list[str]:
        return [self.csm, self.director, self.ae, self.vp]

    def csm_of(self, account: str) -> str:
        return self.director if account == self.strategic else self.csm

    def renews_in(self, account: str) -> int:
        if account == self.strategic:
            return 60
        i = self.accounts.index(account)
        return RENEWS_IN.get(i, 200 + 5 * i)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def quarter_notifications(admin_db_url, kafka_bootstrap, smtp, tmp_path) -> Iterator[ServiceProcess]:  # type: ignore[no-untyped-def]
    db = migrated(new_database(admin_db_url), "notifications")  # a database of its own
    env = notifications_env(
        db, kafka_bootstrap, smtp.port, INCIDENT_WINDOW_S=str(WINDOW_S), INCIDENT_GROUP_WAIT_S="0.2"
    )
    svc = ServiceProcess("notifications", env, tmp_path / "notifications.log").start()
    yield svc
    svc.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def _deal(cast: Cast, account: str) -> dict[str, Any]:
    days = cast.renews_in(account)
    i = cast.accounts.index(account) if account in cast.accounts else -1
    answers = {**GOOD, **(BAD.get(i) or {})}
    deal: dict[str, Any] = {
        "type": "deal.closed_won",
        "account_id": account,
        "deal_id": f"deal-{account}",
        "arr": 40_000,
        "list_price": 40_000,
        "term_months": 12,
        "occurred_at": _ago(365 - days),
    }
    if not (i in BAD and BAD[i] is None):
        deal["qualification"] = answers
    return deal


def _crm(cast: Cast, account: str) -> list[dict[str, Any]]:
    """The CRM's news of an existing, happy customer: the account, its champion, a confirmed onboarding,
    a promoter, a closed ticket, its deal; three accounts have asked for the same feature."""
    i = cast.accounts.index(account) if account in cast.accounts else -1
    tier = "strategic" if account == cast.strategic else ("mid" if i % 2 == 0 else "scale")
    news: list[dict[str, Any]] = [
        {
            "type": "account.upserted",
            "account_id": account,
            "name": f"Customer {account}",
            "tier": tier,
            "seats": 10,
            "arr": 40_000,
            "exposure": "low",
            "owners": {"csm": cast.csm_of(account), "ae": cast.ae},
        },
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"champ-{account}",
            "name": "Ana",
            "title": "VP Operations",
            "seniority": "vp",
            "is_champion": True,
            "influence": "high",
            "engagement": "high",
            "delight": "high",
        },
        {"type": "onboarding.confirmed", "account_id": account, "aspect": "technical", "confirmed_by": "ana"},
        {"type": "onboarding.confirmed", "account_id": account, "aspect": "process", "confirmed_by": "ana"},
        {"type": "nps.submitted", "account_id": account, "contact_id": f"champ-{account}", "score": 9},
        {
            "type": "ticket.changed",
            "account_id": account,
            "ticket_id": f"t-{account}",
            "status": "closed",
            "severity": "low",
        },
        _deal(cast, account),
    ]
    if i in (0, 1, 2):
        news.append(
            {
                "type": "feature_request.status_changed",
                "account_id": account,
                "request_id": f"fr-{cast.run_id}",
                "title": "SSO for contractors",
                "status": "open",
            }
        )
    return news


def _usage(account: str) -> list[dict[str, Any]]:
    """A month of product use, 7 of 10 seats active every day (compressed into one upload)."""
    return [
        {
            "type": "track",
            "userId": f"{account}-u{u}",
            "event": "Dashboard Viewed",
            "timestamp": _ago(d + 0.5),
            "context": {"groupId": account},
        }
        for d in range(29, -1, -1)
        for u in range(7)
    ]


async def _send(http: httpx.AsyncClient, url: str, key: str, items: list[dict[str, Any]], size: int = 1000) -> None:
    for n in range(0, len(items), size):
        r = await http.post(url, json={"batch": items[n : n + size]}, auth=(key, ""))
        assert r.status_code == 200 and r.json()["accepted"] == len(items[n : n + size]), r.text


@dataclass
class Census:
    alerts: Counter[tuple[str, str, str]]  # (person, rule, account)
    incidents: dict[str, list[list[str]]]  # person → each incident's causes (rules), oldest first
    tasks: Counter[tuple[str, str, str]]  # (owner, playbook, account)
    messages: Counter[str]  # webhooks received at once, per person
    last_alert_at: datetime | None


async def _census(http: httpx.AsyncClient, svc: ServiceProcess, cast: Cast, rx: Receiver) -> Census:
    mine = {*cast.accounts, cast.strategic}
    alerts: Counter[tuple[str, str, str]] = Counter()
    last: datetime | None = None
    for account in sorted(mine):
        rows = (
            await http.get(f"{svc.url}/v1/alerts", params={"account_id": account, "limit": 1000}, headers=AUTH)
        ).json()["alerts"]
        for a in rows:
            at = datetime.fromisoformat(a["created_at"])
            last = at if last is None or at > last else last
            for o in a["outcomes"]:
                if o["recipient"] in cast.people and o["outcome"] != "duplicate":
                    alerts[(o["recipient"], a["rule_id"], account)] += 1
    incidents: dict[str, list[list[str]]] = {}
    tasks: Counter[tuple[str, str, str]] = Counter()
    for p in cast.people:
        items = (
            await http.get(f"{svc.url}/v1/incidents", params={"recipient": p, "limit": 1000}, headers=AUTH)
        ).json()["items"]
        incidents[p] = [sorted(c["rule_id"] for c in i["causes"]) for i in reversed(items) if i["account_id"] in mine]
        for t in (await http.get(f"{svc.url}/v1/tasks", params={"owner_id": p, "limit": 1000}, headers=AUTH)).json()[
            "tasks"
        ]:
            if t["account_id"] in mine:
                tasks[(p, t["playbook_id"], t["account_id"])] += 1
    messages = Counter(
        b["recipient"]
        for b in (json.loads(q.body) for q in rx.requests)
        if b.get("type") == "bellwether.alert.v1" and b.get("account_id") in mine
    )
    return Census(alerts, incidents, tasks, messages, last)


async def _settled(http: httpx.AsyncClient, svc: ServiceProcess, cast: Cast, rx: Receiver, check: Any) -> Census:
    """Wait (on conditions, never a fixed time) until nothing is in flight, every delivery of the scenario
    has been made and the grouping window has passed since its last alert; then take the census."""

    async def settled() -> Census | None:
        if not await check():
            return None
        pending = (
            await http.get(f"{svc.url}/v1/deliveries", params={"status": "pending", "limit": 1000}, headers=AUTH)
        ).json()["deliveries"]
        if any(d["recipient"] in cast.people for d in pending):
            return None
        c = await _census(http, svc, cast, rx)
        if c.last_alert_at is not None and datetime.now(UTC) - c.last_alert_at < timedelta(seconds=WINDOW_S * 1.2):
            return None
        return c

    return await eventually(settled, timeout=180, what="every service quiet and the grouping window passed")


async def test_a_quarter_in_the_life_of_a_csm(  # type: ignore[no-untyped-def]
    ingest,
    health,
    renewals,
    quarter_notifications,
    health_db,
    renewals_db,
    kafka_bootstrap,
    source,
    receiver,
    http,
    run_id,
) -> None:
    cast, svc = Cast(run_id), quarter_notifications
    groups = [
        Group(health.env["CONSUMER_GROUP"], "health"),
        Group(renewals.env["CONSUMER_GROUP"], "renewals"),
        Group(svc.env["CONSUMER_GROUP"], "notifications"),
    ]
    dbs = [Db(health_db.url, "health"), Db(renewals_db.url, "renewals")]

    async def check() -> bool:
        return await quiet(kafka_bootstrap, groups, dbs)

    async with httpx.AsyncClient(base_url=svc.url, timeout=15) as n:
        for p, role in ((cast.csm, "csm"), (cast.director, "csm"), (cast.ae, "ae"), (cast.vp, "vp")):
            await person(n, p, role=role, throttle_per_hour=1000)
            await webhook_for(n, p, receiver.url)
    everyone = [*cast.accounts, cast.strategic]

    # 1. go-live: the CRM's news of two dozen happy customers, then a month of their product usage
    await _send(http, f"{ingest.url}/v1/signals", source.write_key, [s for a in everyone for s in _crm(cast, a)])
    await _send(http, f"{ingest.url}/v1/batch", source.write_key, [e for a in everyone for e in _usage(a)], 2000)
    live = await _settled(http, svc, cast, receiver, check)
    flagged = {cast.accounts[i] for i in (4, 5, 6)}
    renewing = {cast.accounts[i] for i, days in RENEWS_IN.items() if days <= 120} | {cast.strategic}
    expected: Counter[tuple[str, str, str]] = Counter()
    for a in everyone:
        expected[(cast.csm_of(a), "ownership-changed", a)] += 1  # "you own a new account" (low: the digest)
        expected[(cast.ae, "ownership-changed", a)] += 1
    for a in renewing:  # its renewal opens with its owner (OpportunityCreated): no ownership change to tell
        expected[(cast.csm_of(a), "renewal-upcoming", a)] += 1
    for a in flagged:
        expected[(cast.csm, "deal-flagged", a)] += 1
    expected[(cast.csm, "deal-answers-missing", cast.accounts[7])] += 1
    assert live.alerts == expected  # no red, no fall, no renewal at risk: nobody paged for the go-live
    assert live.messages == Counter({cast.csm: 3})  # the three flagged deals; everything else waits for digests
    assert live.tasks == Counter({(cast.director, "renewal-in-90-days", cast.strategic): 1})  # strategic: always
    reviews = (await http.get(f"{renewals.url}/v1/reviews", params={"limit": 1000}, headers=VP_RENEWALS)).json()[
        "reviews"
    ]
    bands = {
        r["account_id"]: (r["band"], sorted(f["criterion"] for f in r["flags"]))
        for r in reviews
        if r["account_id"] in everyone
    }
    assert bands == {
        a: {
            cast.accounts[4]: ("poor", ["technology_ready"]),
            cast.accounts[5]: ("poor", ["long_term_use"]),
            cast.accounts[6]: ("fair", ["enough_services"]),
            cast.accounts[7]: ("answers_missing", []),
        }.get(a, ("good", []))
        for a in everyone
    }

    # 2. the champion of the strategic account, renewing in 60 days, leaves
    await _send(
        http,
        f"{ingest.url}/v1/signals",
        source.write_key,
        [
            {
                "type": "contact.changed",
                "account_id": cast.strategic,
                "contact_id": f"champ-{cast.strategic}",
                "is_champion": True,
                "departed": True,
            }
        ],
    )
    left = await _settled(http, svc, cast, receiver, check)
    s = cast.strategic
    assert left.alerts - live.alerts == Counter(
        {
            (cast.director, "champion-departed", s): 1,
            (cast.director, "champion-at-risk", s): 1,
            (cast.director, "renewal-at-risk", s): 1,
            (cast.ae, "champion-departed", s): 1,
            (cast.ae, "champion-at-risk", s): 1,
            (cast.vp, "renewal-risk-escalated", s): 1,
        }
    )
    new_incidents = {p: left.incidents[p][len(live.incidents[p]) :] for p in cast.people}
    assert new_incidents == {  # one cause, one message for each person who must act
        cast.csm: [],
        cast.director: [["champion-at-risk", "champion-departed", "renewal-at-risk"]],
        cast.ae: [["champion-at-risk", "champion-departed"]],
        cast.vp: [["renewal-risk-escalated"]],
    }
    assert left.messages - live.messages == Counter({cast.director: 1, cast.ae: 1, cast.vp: 1})
    assert left.tasks - live.tasks == Counter({(cast.director, "champion-left", s): 1})  # at risk: a note on it

    # 3. renewals close (one churns), then a feature three accounts asked for ships
    async with httpx.AsyncClient(base_url=renewals.url, headers=VP_RENEWALS, timeout=15) as r:
        for i, body in ((2, {"outcome": "churned", "reason": "value_not_realised"}), (3, {"outcome": "renewed"})):
            got = await r.post(f"/v1/opportunities/renewal-deal-{cast.accounts[i]}/close", json=body)
            assert got.status_code == 200, got.text
    await _send(
        http,
        f"{ingest.url}/v1/signals",
        source.write_key,
        [
            {
                "type": "feature_request.status_changed",
                "account_id": cast.accounts[0],
                "request_id": f"fr-{run_id}",
                "title": "SSO for contractors",
                "status": "shipped",
            }
        ],
    )
    shipped = await _settled(http, svc, cast, receiver, check)
    assert shipped.alerts - left.alerts == Counter(
        {
            (cast.csm, "request-shipped-renewing", cast.accounts[0]): 1,  # renews in 80 days: tell them now
            (cast.csm, "request-shipped", cast.accounts[1]): 1,  # renews in 250 days: the digest
        }
    )  # the churned one is told nothing
    assert shipped.messages - left.messages == Counter({cast.csm: 1})
    assert shipped.tasks == left.tasks

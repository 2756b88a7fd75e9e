"""Demo traffic: a few B2B accounts using the product, sent through segment-analytics-python (the
real client library, host pointed at ingest), plus CS signals and the closed-won deals behind their
contracts. Two rounds, so health scores and renewal risk visibly move: in the second, champions
leave some accounts and usage fades in others."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from segment.analytics import Client

from bellwether_shared import topics
from devkit.kafka import TopicTail
from devkit.receiver import Receiver
from tools import demo_account, demo_crm, demo_outcomes, demo_signals, report

console = Console(width=140)
FEATURES = ["Dashboard Viewed", "Report Exported", "Alert Configured", "Integration Connected", "Workflow Created"]


def _source(base: str, token: str, run_dir: Path) -> str:
    saved = run_dir / "demo-source.json"
    if saved.exists():
        key = json.loads(saved.read_text())["write_key"]
        if httpx.post(f"{base}/v1/identify", auth=(key, ""), json={"userId": "probe"}).status_code != 401:
            return str(key)
    r = httpx.post(
        f"{base}/v1/sources",
        # one key for the whole demo (product usage and CRM-like signals); a real browser key gets usage and
        # identity only, a CRM sync the signal types it sends (README, Write keys)
        json={"name": "demo-product-analytics", "scopes": ["usage", "identity", "signals:*"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    saved.write_text(json.dumps({"id": r.json()["id"], "write_key": r.json()["write_key"]}))
    saved.chmod(0o600)
    return str(r.json()["write_key"])


def _round(base: str, key: str, accounts: list[str], rnd: random.Random, *, first: bool, users: int, days: int) -> int:
    """Blocking: the client library and httpx's sync API; runs in a worker thread."""
    signals: list[dict[str, Any]] = []
    for a, account in enumerate(accounts):
        if first:
            signals += demo_signals.first_round(a, account, rnd, users)
        elif a % 2:
            signals += demo_signals.champion_left(account)
    if signals:  # before the usage: the onboarding start is known when the first milestone is reached
        httpx.post(f"{base}/v1/signals", json={"batch": signals}, auth=(key, "")).raise_for_status()
    client = Client(key, host=base, max_retries=3, upload_size=200)
    sent = sum(
        _usage(client, a, account, rnd, first=first, users=users, days=days) for a, account in enumerate(accounts)
    )
    client.flush()
    return sent + len(signals)


def _usage(client: Client, a: int, account: str, rnd: random.Random, *, first: bool, users: int, days: int) -> int:
    """The account's product use, in the order it happened, day by day, as a product's tracking sends it
    (and replays its history); in round two usage fades where the champion left."""
    now, sent = datetime.now(UTC), 0
    if first and a == demo_outcomes.GROWING:
        sent += demo_outcomes.grow_usage(client, account, users, FEATURES, now)
    active = users if first or a % 2 == 0 else 1
    if first:
        for u in range(active):
            user = f"{account}-user{u + 1}"
            client.group(user_id=user, group_id=account, traits={"name": f"Demo Account {a + 1}"})
            client.identify(user_id=user, traits={"email": f"user{u + 1}@acct{a + 1}.example"})
            sent += 2
    for d in range(days):
        for u in range(active):
            for _ in range(rnd.randint(1, 3)):
                client.track(
                    user_id=f"{account}-user{u + 1}",
                    event=rnd.choice(FEATURES),
                    properties={"demo": True},
                    context={"groupId": account},
                    timestamp=now - timedelta(days=days - d, minutes=rnd.randint(0, 600)),
                )
                sent += 1
    return sent


async def _scores(health: str, token: str, accounts: list[str], sent_at: str) -> dict[str, Any]:
    """Wait (bounded) until every account was scored after the round was sent and its score has
    settled (unchanged for 1.5 s: the consumer may still be working through the round)."""
    seen: dict[str, tuple[float, dict[str, Any]]] = {}
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            for a in accounts:
                r = await http.get(f"{health}/v1/accounts/{a}/health")
                if r.status_code != 200 or r.json()["computed_at"] <= sent_at:
                    continue
                if a not in seen or seen[a][1]["computed_at"] != r.json()["computed_at"]:
                    seen[a] = (time.monotonic(), r.json())
            if len(seen) == len(accounts) and all(time.monotonic() - t > 1.5 for t, _ in seen.values()):
                break
            await asyncio.sleep(0.3)
    return {a: h for a, (_, h) in sorted(seen.items())}


def _table(title: str, before: dict[str, Any], after: dict[str, Any]) -> Table:
    t = Table(title=title)
    for col in ("account", "score", "colour", "change", "what moved it"):
        t.add_column(col, justify="right" if col in ("score", "change") else "left")
    for a, h in after.items():
        old = before.get(a)
        if old is None:
            top = sorted(h["measures"], key=lambda m: -m["contribution"])[:3]
            change, why = "new", "largest parts: " + ", ".join(f"{m['key']} {m['contribution']:.0f} pts" for m in top)
        elif abs(h["value"] - old["value"]) < 0.05:
            change, why = "±0", "nothing that matters changed"
        else:
            change, why = f"{h['value'] - old['value']:+.1f}", "; ".join(r["text"] for r in h["reasons"][:2])
        t.add_row(a, f"{h['value']:.1f}", h["colour"], change, why)
    return t


async def _renewals(renewals: str, token: str, accounts: list[str]) -> Table:
    t = Table(title="Renewals: each account's renewal, its owner, health and risk (renewals service)")
    for col in ("account", "renews in", "ARR", "owner", "health", "risk", "why"):
        t.add_column(col, justify="right" if col in ("renews in", "ARR") else "left")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        for a in accounts:
            acc = (await http.get(f"{renewals}/v1/accounts/{a}")).json()
            for o in acc.get("opportunities", []):
                why = "; ".join(r["text"] for r in o["risk_reasons"][:3]) or "-"
                risk = ("AT RISK " if o["at_risk"] else "") + o["risk_level"]
                when = f"{o['days_to_renewal']} d" if o.get("days_to_renewal") is not None else o["kind"]
                t.add_row(
                    a,
                    when,
                    f"{o['arr']:,.0f}",
                    f"{o['owner_id']} ({o['owner_role']})",
                    str(acc.get("health_colour")),
                    risk,
                    why,
                )
    return t


async def _risk_settled(renewals: str, token: str, accounts: list[str], expect_at_risk: int) -> None:
    """Wait (bounded) until the renewals projection caught up with health's announcements."""
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            found = 0
            for a in accounts:
                r = await http.get(f"{renewals}/v1/opportunities", params={"account_id": a, "at_risk": "true"})
                found += len(r.json().get("opportunities", [])) if r.status_code == 200 else 0
            if found >= expect_at_risk:
                return
            await asyncio.sleep(0.5)


async def _subscribe_receiver(notify: str, token: str, url: str) -> tuple[str, str]:
    """The demo's owners as people, and a signed webhook to the local receiver for everyone's alerts."""
    async with httpx.AsyncClient(base_url=notify, headers={"Authorization": f"Bearer {token}"}) as http:
        for who, role in [("csm_0", "csm"), ("csm_1", "csm"), ("ae_0", "ae"), ("ae_1", "ae"), ("ae_2", "ae")]:
            (
                await http.put(f"/v1/people/{who}", json={"name": who, "role": role, "digest": "hourly"})
            ).raise_for_status()
        r = await http.post("/v1/destinations", json={"name": "demo receiver", "kind": "webhook", "target": url})
        r.raise_for_status()
        dest, secret = r.json()["destination_id"], r.json()["signing_secret"]
        sub = {"destination_id": dest, "recipient": "*", "min_severity": "medium"}
        (await http.post("/v1/subscriptions", json=sub)).raise_for_status()
    return dest, secret


async def _alerts(notify: str, token: str, receiver: Receiver, dest: str, secret: str, accounts: list[str]) -> Table:
    """Wait (bounded) for the alerts of this run to be decided and delivered, then show what the
    receiver got: round two's departed champions must have been decided first."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    departed = {a for i, a in enumerate(accounts) if i % 2}
    async with httpx.AsyncClient(base_url=notify, headers={"Authorization": f"Bearer {token}"}) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = (await http.get("/v1/alerts", params={"limit": 500})).json()["items"]
            done = {a["account_id"] for a in rows if a["rule_id"] == "champion-departed" and a["outcomes"]}
            if departed <= done:
                break
            await asyncio.sleep(0.5)
    deadline, seen, stable_since = time.monotonic() + 30, -1, time.monotonic()
    while time.monotonic() < deadline:
        mine = [r for r in receiver.requests if any(a in r.body.decode() for a in accounts)]
        if len(mine) != seen:
            seen, stable_since = len(mine), time.monotonic()
        elif seen > 0 and time.monotonic() - stable_since > 3:
            break
        await asyncio.sleep(0.3)
    t = Table(title=f"Notifications: signed webhooks received by the demo's local receiver ({receiver.url})")
    for col in ("severity", "to", "alert", "signature"):
        t.add_column(col)
    for r in receiver.requests:
        body = json.loads(r.body)
        if body.get("account_id") not in accounts:
            continue
        try:
            Webhook(secret).verify(r.body, r.headers)
            ok = "valid"
        except WebhookVerificationError:
            ok = "INVALID"
        t.add_row(body["severity"], body.get("recipient") or "-", f"{body['title']}\n{body['text']}", ok)
    async with httpx.AsyncClient(base_url=notify, headers={"Authorization": f"Bearer {token}"}) as http:
        await http.delete(f"/v1/destinations/{dest}")  # the receiver goes away with the demo
    return t


async def run_demo(
    base: str,
    health: str,
    renewals: str,
    notify: str,
    accounts_url: str,
    token: str,
    bootstrap: str,
    run_dir: Path,
    *,
    accounts: int,
    users_per_account: int,
    days: int,
) -> None:
    key = _source(base, token, run_dir)
    await demo_outcomes.prepare(health, renewals, token)
    receiver = Receiver().start()
    dest, secret = await _subscribe_receiver(notify, token, receiver.url)
    portal, crm_dest = await demo_crm.start(notify, token, accounts)
    rnd = random.Random(7)
    tag = secrets.token_hex(3)
    names = [f"demo-{tag}-acct{a + 1}" for a in range(accounts)]
    async with TopicTail(
        bootstrap, topics.USAGE, topics.IDENTITY, topics.SIGNALS, topics.HEALTH, topics.RENEWALS
    ) as tail:
        start = datetime.now(UTC).isoformat()
        sent = await asyncio.to_thread(_round, base, key, names, rnd, first=True, users=users_per_account, days=days)
        first = await _scores(health, token, names, start)
        console.print(_table(f"Round 1: {sent} calls sent — health scores", {}, first))
        start = datetime.now(UTC).isoformat()
        sent2 = await asyncio.to_thread(_round, base, key, names, rnd, first=False, users=users_per_account, days=2)
        second = await _scores(health, token, names, start)
        title = f"Round 2: {sent2} calls — in accounts 2 and 4 the champion left and an urgent bug ticket opened"
        console.print(_table(title, first, second))
        await _risk_settled(renewals, token, names, expect_at_risk=sum(1 for a in range(len(names)) if a % 2))
        console.print(await _renewals(renewals, token, names))
        console.print(await _alerts(notify, token, receiver, dest, secret, names))
        await demo_account.show(console, names[0], health=health, renewals=renewals, accounts=accounts_url, token=token)
        await demo_outcomes.expansion(console, renewals, token, names[demo_outcomes.GROWING])
        await demo_outcomes.task_life(console, notify, token, names[1])
        period = await demo_outcomes.close_renewals(console, renewals, token, names)
        await demo_outcomes.calibrate(console, health, token)
        await demo_crm.show(console, notify, token, portal, crm_dest, names)
        receiver.stop()
        received = await tail.collect(lambda got: len(got) >= sent + sent2, timeout=60)
    table = Table(title=f"Demo run {tag}: what is on Kafka now")
    table.add_column("topic")
    table.add_column("event type")
    table.add_column("count", justify="right")
    for (topic, typ), n in sorted(Counter((r.envelope.topic, r.envelope.type) for r in received).items()):
        table.add_row(topic, typ, str(n))
    console.print(table)
    sample = next(r for r in received if r.envelope.type == "bellwether.health.score_changed.v1")
    console.print("One health.v1 record as it sits on Kafka (key, headers, value):")
    console.print_json(json.dumps({"key": sample.envelope.key, "headers": sample.headers, "value": sample.payload}))
    out = run_dir / f"report-{period}.html"
    report.show(console, await report.write(url=accounts_url, token=token, period=period, out=out, min_risk_arr=0), out)

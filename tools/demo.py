"""Demo traffic: a few B2B accounts using the product, sent through segment-analytics-python
(the real client library, host pointed at ingest), plus CS signals; then what arrived on Kafka."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from segment.analytics import Client

from bellwether_shared import topics
from tests.support.kafka import TopicTail

console = Console()
FEATURES = [
    "Dashboard Viewed",
    "Report Exported",
    "Alert Configured",
    "Integration Connected",
    "Workflow Created",
    "Comment Added",
]
INDUSTRIES = [
    ("logistics", "high"),
    ("healthcare", "low"),
    ("retail", "high"),
    ("fintech", "moderate"),
    ("education", "low"),
]


def _source(base: str, token: str, run_dir: Path) -> str:
    saved = run_dir / "demo-source.json"
    if saved.exists():
        key = json.loads(saved.read_text())["write_key"]
        if httpx.post(f"{base}/v1/identify", auth=(key, ""), json={"userId": "probe"}).status_code != 401:
            return str(key)
    r = httpx.post(
        f"{base}/v1/sources", json={"name": "demo-product-analytics"}, headers={"Authorization": f"Bearer {token}"}
    )
    r.raise_for_status()
    saved.write_text(json.dumps({"id": r.json()["id"], "write_key": r.json()["write_key"]}))
    saved.chmod(0o600)
    return str(r.json()["write_key"])


def _send_traffic(
    base: str, key: str, tag: str, rnd: random.Random, *, accounts: int, users_per_account: int, days: int
) -> int:
    """Blocking: the client library and httpx's sync API; runs in a worker thread."""
    client = Client(key, host=base, max_retries=3, upload_size=200)
    sent = 0
    now = datetime.now(UTC)
    signals = []
    for a in range(accounts):
        account = f"demo-{tag}-acct{a + 1}"
        industry, exposure = INDUSTRIES[a % len(INDUSTRIES)]
        signals.append(
            {
                "type": "account.upserted",
                "account_id": account,
                "name": f"Demo Account {a + 1}",
                "arr": rnd.choice([18_000, 60_000, 150_000, 420_000]),
                "seats": 25 + 10 * a,
                "tier": rnd.choice(["scale", "mid", "strategic"]),
                "industry": industry,
                "exposure": exposure,
                "renewal_date": str(date.today() + timedelta(days=30 + 40 * a)),
                "owners": {"csm": f"csm_{a % 2}", "ae": f"ae_{a % 3}"},
            }
        )
        signals.append(
            {
                "type": "nps.submitted",
                "account_id": account,
                "contact_id": f"{account}-c1",
                "score": rnd.randint(3, 10),
            }
        )
        if a % 2:
            signals.append(
                {
                    "type": "contact.changed",
                    "account_id": account,
                    "contact_id": f"{account}-c2",
                    "role": "VP Operations",
                    "influence": "high",
                    "is_champion": True,
                    "departed": True,
                }
            )
        for u in range(users_per_account):
            user = f"{account}-user{u + 1}"
            client.group(user_id=user, group_id=account, traits={"name": f"Demo Account {a + 1}"})
            client.identify(user_id=user, traits={"email": f"user{u + 1}@acct{a + 1}.example"})
            sent += 2
            active_days = days if a % 3 else max(1, days // 3)  # one in three accounts is fading
            for d in range(active_days):
                for _ in range(rnd.randint(1, 4)):
                    client.track(
                        user_id=user,
                        event=rnd.choice(FEATURES),
                        properties={"demo": True},
                        context={"groupId": account},
                        timestamp=now - timedelta(days=days - d, minutes=rnd.randint(0, 600)),
                    )
                    sent += 1
    client.flush()
    r = httpx.post(f"{base}/v1/signals", json={"batch": signals}, auth=(key, ""))
    r.raise_for_status()
    sent += len(signals)
    return sent


async def run_demo(
    base: str, token: str, bootstrap: str, run_dir: Path, *, accounts: int, users_per_account: int, days: int
) -> None:
    key = _source(base, token, run_dir)
    rnd = random.Random(7)
    tag = secrets.token_hex(3)
    async with TopicTail(bootstrap, topics.USAGE, topics.IDENTITY, topics.SIGNALS) as tail:
        sent = await asyncio.to_thread(
            _send_traffic, base, key, tag, rnd, accounts=accounts, users_per_account=users_per_account, days=days
        )
        received = await tail.collect(lambda got: len(got) >= sent, timeout=60)
    table = Table(title=f"Demo run {tag}: {sent} calls sent, {len(received)} events on Kafka")
    table.add_column("topic")
    table.add_column("event type")
    table.add_column("count", justify="right")
    for (topic, typ), n in sorted(Counter((r.envelope.topic, r.envelope.type) for r in received).items()):
        table.add_row(topic, typ, str(n))
    console.print(table)
    sample = next(r for r in received if r.envelope.topic == topics.USAGE)
    console.print("One record as it sits on Kafka (headers + value):")
    console.print_json(json.dumps({"key": sample.envelope.key, "headers": sample.headers, "value": sample.payload}))

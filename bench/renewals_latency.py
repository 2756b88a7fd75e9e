"""Renewals' latency under load: from Kafka's ack of a red health score to the risk_changed record on
renewals.v1, with other accounts' scores as background."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bellwether_shared import topics
from bellwether_shared.db import connect
from bellwether_shared.events import health as hev
from bellwether_shared.kafka import create_producer, publish
from bench.loadgen import pct
from devkit.kafka import TopicTail
from devkit.services import ServiceProcess


async def _open_renewal_accounts(db_url: str, limit: int) -> list[str]:
    conn = await connect(db_url, schema="renewals")
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT account_id FROM opportunities WHERE stage <> 'closed' ORDER BY 1 LIMIT $1", limit
        )
        return [r[0] for r in rows]
    finally:
        await conn.close()


def _health(account: str, value: float, at: datetime) -> Any:
    colour = "red" if value < 40 else "yellow" if value < 70 else "green"
    return hev.HealthScoreChanged(
        account_id=account,
        old_value=None,
        new_value=value,
        old_colour=None,
        new_colour=colour,  # type: ignore[arg-type]
        delta=None,
        sufficient=True,
        scorecard_id="default",
        scorecard_version=2,
        reasons=[],
        computed_at=at,
    ).envelope(event_id=str(uuid.uuid4()), source="bellwether/health")


async def _seed_probes(db_url: str, names: list[str]) -> None:
    """Accounts with nothing against them but their health (green, low exposure), renewing in 45 days."""
    conn = await connect(db_url, schema="renewals")
    try:
        for a in names:
            await conn.execute(
                """INSERT INTO accounts (account_id, exposure, health_score, health_colour)
                   VALUES ($1, 'low', 90, 'green')""",
                a,
            )
            await conn.execute(
                """INSERT INTO contracts (contract_id, account_id, start_date, end_date, term_months, arr)
                   VALUES ($1, $1, current_date - 320, current_date + 45, 12, 20000)""",
                a,
            )
            await conn.execute(
                """INSERT INTO opportunities (opportunity_id, account_id, contract_id, kind, renewal_date, arr,
                                              owner_id, owner_role, owner_reason, last_window)
                   VALUES ('renewal-' || $1, $1, $1, 'renewal', current_date + 45, 20000, 'csm0', 'csm', 'seed', 60)""",
                a,
            )
    finally:
        await conn.close()


async def _background(producer: Any, others: list[str], per_s: int, stop: asyncio.Event) -> int:
    """Health scores of other open renewals at ``per_s`` until ``stop``; how many were sent."""
    sent, i = 0, 0
    while not stop.is_set():
        batch = [_health(others[(i + k) % len(others)], 50 + (i + k) % 40, datetime.now(UTC)) for k in range(50)]
        i += 50
        await publish(producer, batch, timeout_s=30)
        sent += len(batch)
        await asyncio.sleep(50 / per_s)
    return sent


async def latency(
    renewals: ServiceProcess, db: Any, bootstrap: str, probes: int, background_per_s: int
) -> dict[str, Any]:
    """Probe accounts with nothing against them but their health; each probe turns one red."""
    tag = uuid.uuid4().hex[:6]
    names = [f"probe-{tag}-{i}" for i in range(probes)]
    await _seed_probes(db.url, names)
    others = await _open_renewal_accounts(db.url, 2000)
    producer = create_producer(bootstrap, client_id="bench-renewals-lat")
    await producer.start()
    stop = asyncio.Event()
    sent_at: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        async with TopicTail(bootstrap, topics.RENEWALS) as tail:
            bg = asyncio.create_task(_background(producer, others, background_per_s, stop))
            await asyncio.sleep(1.0)
            for a in names:
                await publish(producer, [_health(a, 20, datetime.now(UTC))], timeout_s=30)
                sent_at[a] = time.perf_counter()

                def arrived(recs: list[Any], account: str = a) -> bool:
                    for r in recs:
                        if r.envelope.subject == account and r.envelope.type.endswith("risk_changed.v1"):
                            seen.setdefault(account, time.perf_counter())
                    return account in seen

                with contextlib.suppress(AssertionError):
                    await tail.collect(arrived, timeout=10)
                await asyncio.sleep(0.1)
            stop.set()
            bg_sent = await bg
    finally:
        await producer.stop()
    lat = sorted(seen[a] - sent_at[a] for a in seen)
    return {
        "probes": probes,
        "risk_events_seen": len(lat),
        "background_health_events_per_s": background_per_s,
        "background_events_sent": bg_sent,
        "ms": {
            "p50": round(pct(lat, 0.5) * 1000, 1),
            "p99": round(pct(lat, 0.99) * 1000, 1),
            "max": round(lat[-1] * 1000, 1) if lat else None,
            "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        },
        "how": "from Kafka's ack of a red health score to the risk_changed record read from renewals.v1",
        "target_p99_ms": 1000,
    }

"""Health's latency under load: background traffic through ingest at a set rate, and probes timed from
ingest's 200 to the score being readable (and to its score_changed event)."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from typing import Any

import httpx

from bellwether_shared import topics
from bench.loadgen import pct
from devkit.kafka import TopicTail
from devkit.services import ServiceProcess
from devkit.stack import API_TOKEN, create_source


async def _background(ingest_url: str, key: str, rate: int, seconds: float, tag: str) -> int:
    """Steady load: batches of 100 at ``rate`` events/s over 200 accounts."""
    interval = 100 / rate
    sent = 0
    async with httpx.AsyncClient(base_url=ingest_url, auth=(key, ""), timeout=30) as http:
        t_end = time.monotonic() + seconds
        next_at = time.monotonic()
        pending: set[asyncio.Task[Any]] = set()
        while time.monotonic() < t_end:
            batch = [
                {
                    "type": "track",
                    "userId": f"u{(sent + i) % 50}",
                    "event": "Dashboard Viewed",
                    "context": {"groupId": f"{tag}-bg{(sent + i) % 200}"},
                }
                for i in range(100)
            ]
            pending.add(asyncio.create_task(http.post("/v1/batch", json={"batch": batch})))
            pending = {p for p in pending if not p.done()}
            sent += 100
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if pending:
            await asyncio.gather(*pending)
    return sent


async def _probe(
    http: httpx.AsyncClient, ingest_url: str, health_url: str, key: str, account: str
) -> tuple[float, float | None]:
    """One event for a new account: when ingest answered 200, and how long until its score was readable
    (None: not within 10 s)."""
    r = await http.post(
        f"{ingest_url}/v1/track",
        auth=(key, ""),
        json={"userId": "p", "event": "Probe", "context": {"groupId": account}},
    )
    t200 = time.perf_counter()
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h = await http.get(
            f"{health_url}/v1/accounts/{account}/health", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        if h.status_code == 200:
            return t200, time.perf_counter() - t200
        await asyncio.sleep(0.005)
    return t200, None


async def latency(
    ingest: ServiceProcess, health: ServiceProcess, bootstrap: str, rate: int, seconds: float = 15.0
) -> dict[str, Any]:
    tag = f"lat{rate}-{int(time.time())}"
    key = create_source(ingest.url, rate_limit_eps=1_000_000, burst=1_000_000).write_key
    readable: list[float] = []
    emitted: list[float] = []
    async with TopicTail(bootstrap, topics.HEALTH) as tail, httpx.AsyncClient(timeout=30) as http:
        bg = asyncio.create_task(_background(ingest.url, key, rate, seconds, tag))
        await asyncio.sleep(1.0)  # let the load settle before probing
        probes: dict[str, float] = {}
        i = 0
        while not bg.done():
            account = f"{tag}-probe{i}"
            i += 1
            t200, took = await _probe(http, ingest.url, health.url, key, account)
            probes[account] = t200
            if took is not None:
                readable.append(took)
            await asyncio.sleep(0.2)
        sent = await bg
        seen: dict[str, float] = {}

        def all_seen(recs: list[Any]) -> bool:
            for rec in recs:
                subj = rec.envelope.subject
                if subj in probes and subj not in seen and rec.envelope.type.endswith("score_changed.v1"):
                    seen[subj] = rec.envelope.time.timestamp()
            return len(seen) >= len(probes)

        with contextlib.suppress(AssertionError):
            await tail.collect(all_seen, timeout=30)
    # ce_time of the event is when health computed the score; compare on the same (wall) clock
    wall_minus_perf = time.time() - time.perf_counter()
    emitted = sorted(seen[a] - (probes[a] + wall_minus_perf) for a in seen)
    readable.sort()
    return {
        "background_events_per_s": rate,
        "background_events_sent": sent,
        "probes": len(probes),
        "readable_ms": {
            "p50": round(pct(readable, 0.5) * 1000, 1),
            "p99": round(pct(readable, 0.99) * 1000, 1),
            "mean": round(statistics.fmean(readable) * 1000, 1) if readable else None,
        },
        "emitted_ms": {
            "p50": round(pct(emitted, 0.5) * 1000, 1),
            "p99": round(pct(emitted, 0.99) * 1000, 1),
            "count": len(emitted),
        },
        "target_p99_ms_at_5k": 500,
    }

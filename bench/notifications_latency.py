"""Notifications' latency under load: from ingest's 200 for a champion-departed signal to the signed webhook
received, with the consumer group's lag when each probe was sent."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bellwether_shared.topics import SIGNALS
from bench.loadgen import pct
from devkit.receiver import Receiver
from devkit.services import ServiceProcess
from devkit.stack import NOTIFICATIONS_TOKEN, create_source

AUTH = {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"}


async def _destination(url: str, target: str) -> str:
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=30) as http:
        r = await http.post("/v1/destinations", json={"name": "bench receiver", "kind": "webhook", "target": target})
        r.raise_for_status()
        return str(r.json()["destination_id"])


class Lag:
    """The records a consumer group has yet to commit on a topic (end offsets minus committed), read
    without joining the group."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        self.topic = topic

    async def start(self) -> None:
        await self.consumer.start()
        self.parts = [
            TopicPartition(self.topic, p)
            for p in sorted(self.consumer.partitions_for_topic(self.topic) or await self._partitions())
        ]

    async def _partitions(self) -> set[int]:
        await self.consumer._client.force_metadata_update()
        return set(self.consumer.partitions_for_topic(self.topic) or ())

    async def now(self) -> int:
        ends = await self.consumer.end_offsets(self.parts)
        total = 0
        for tp in self.parts:
            committed = await self.consumer.committed(tp)
            total += ends[tp] - (committed or 0)
        return total

    async def stop(self) -> None:
        await self.consumer.stop()


async def _background(http: httpx.AsyncClient, tag: str, per_s: int, stop: asyncio.Event) -> int:
    """Contact changes of 500 other accounts at ``per_s`` until ``stop``; how many were sent."""
    sent = 0
    while not stop.is_set():
        batch = [
            {"type": "contact.changed", "account_id": f"bg-{tag}-{(sent + k) % 500}", "contact_id": f"c{k}"}
            | {"engagement": "high"}
            for k in range(20)
        ]
        await http.post("/v1/signals", json={"batch": batch})
        sent += 20
        await asyncio.sleep(20 / per_s)
    return sent


async def _caught_up(lag: Lag, per_s: int) -> dict[str, Any]:
    """A fresh consumer group starts at the topic's beginning: in a full `make bench` run the suites before
    this one left hundreds of thousands of signals there, and the probes would measure that history (p50
    19.8 s with a lag of 3,112 records in one run). Probe once the consumer is live."""
    backlog, waited = await lag.now(), time.monotonic()
    while (current := await lag.now()) > per_s and time.monotonic() - waited < 900:
        await asyncio.sleep(0.5)
    return {
        "backlog_at_start": backlog,
        "caught_up_after_s": round(time.monotonic() - waited, 1),
        "lag_when_probing_began": current,
    }


async def _probe(http: httpx.AsyncClient, rx: Receiver, account: str) -> float:
    """The account's champion departs; when it was sent (the webhook is awaited for up to 10 s)."""
    departed = {"type": "contact.changed", "account_id": account, "contact_id": "champ", "is_champion": True}
    r = await http.post("/v1/signals", json=departed | {"departed": True})
    r.raise_for_status()
    sent = time.time()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(account.encode() in q.body for q in rx.requests):
        await asyncio.sleep(0.005)
    return sent


async def latency(ingest: ServiceProcess, svc: ServiceProcess, probes: int, background_per_s: int) -> dict[str, Any]:
    rx = Receiver().start()
    tag = uuid.uuid4().hex[:6]
    key = create_source(ingest.url, rate_limit_eps=1_000_000, burst=1_000_000).write_key
    accounts = [f"lat-{tag}-{i}" for i in range(probes)]
    async with httpx.AsyncClient(base_url=svc.url, headers=AUTH, timeout=30) as http:
        (await http.put(f"/v1/people/csm-{tag}", json={"role": "csm", "throttle_per_hour": 1000})).raise_for_status()
        dest = await _destination(svc.url, rx.url)
        await http.post("/v1/subscriptions", json={"destination_id": dest, "recipient": f"csm-{tag}"})
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, ""), timeout=30) as http:
        upserts = [{"type": "account.upserted", "account_id": a, "owners": {"csm": f"csm-{tag}"}} for a in accounts]
        (await http.post("/v1/signals", json={"batch": upserts})).raise_for_status()
        stop = asyncio.Event()
        bg = asyncio.create_task(_background(http, tag, background_per_s, stop))
        await asyncio.sleep(2.0)  # the upserts are projected, the load settled
        sent_at: dict[str, float] = {}
        lag_at: dict[str, int] = {}
        lag = Lag(svc.env["KAFKA_BOOTSTRAP_SERVERS"], svc.env.get("CONSUMER_GROUP", "notifications"), SIGNALS)
        await lag.start()
        caught_up = await _caught_up(lag, background_per_s)
        for a in accounts:
            lag_at[a] = await lag.now()  # what the consumer still had to read when the probe was sent
            sent_at[a] = await _probe(http, rx, a)
            await asyncio.sleep(0.1)
        stop.set()
        bg_sent = await bg
        await lag.stop()
    received: dict[str, float] = {}
    for q in rx.requests:
        body = orjson.loads(q.body)
        if body.get("account_id") in sent_at:
            received.setdefault(body["account_id"], q.at)
    rx.stop()
    return _figures(received, sent_at, lag_at, accounts, caught_up) | {
        "probes": probes,
        "background_signals_per_s": background_per_s,
        "background_signals_sent": bg_sent,
    }


def _figures(
    received: dict[str, float],
    sent_at: dict[str, float],
    lag_at: dict[str, int],
    accounts: list[str],
    caught_up: dict[str, Any],
) -> dict[str, Any]:
    lat = sorted(received[a] - sent_at[a] for a in received)
    return {
        "webhooks_received": len(lat),
        "ms": {
            "p50": round(pct(lat, 0.5) * 1000, 1),
            "p99": round(pct(lat, 0.99) * 1000, 1),
            "max": round(lat[-1] * 1000, 1) if lat else None,
            "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None,
        },
        "before_probing": caught_up,
        "consumer_lag_at_probe": {
            "p50": pct(sorted(lag_at.values()), 0.5),
            "max": max(lag_at.values(), default=0),
            "of_the_slowest_probes": [
                {"ms": round((received[a] - sent_at[a]) * 1000, 1), "lag": lag_at[a]}
                for a in sorted(received, key=lambda a: received[a] - sent_at[a])[-3:]
            ],
            "never_received": [{"lag": lag_at[a]} for a in accounts if a not in received],
        },
        "how": "ingest's 200 for a champion-departed signal → signals.v1 → notifications → signed webhook received; "
        "consumer_lag_at_probe: records on signals.v1 the notifications group had not committed when the "
        "probe was sent (so an outlier says whether it waited behind a backlog)",
        "target_p99_ms": 2000,
    }

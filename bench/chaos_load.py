"""The chaos suite's load and its accounting (see bench/chaos.py).

Request ``i`` carries 100 usage events of account ``chaos-{i % accounts}`` named ``b{i}``, with
messageIds of their own. A sender re-sends a request (same body, same messageIds, as client
libraries do) until ingest acknowledges it, so every event is acknowledged once the load ends.
Health keeps a count per (account, day, event name): a request's bucket must hold exactly 100 in
the end — fewer is an acknowledged event lost, more is one counted twice."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import orjson

BATCH = 100


@dataclass
class Load:
    url: str
    write_key: str
    requests: int
    accounts: int
    run: str
    timestamp: datetime
    acked_requests: int = 0
    attempts: int = 0  # requests sent, retries included
    failures: dict[str, int] = field(default_factory=dict)  # why a send was retried
    _next: int = 0

    def account(self, i: int) -> str:
        return f"chaos-{self.run}-{i % self.accounts}"

    def body(self, i: int, event: str | None = None) -> bytes:
        name, ts = event or f"b{i}", self.timestamp.isoformat()
        batch = [
            {
                "type": "track",
                "userId": f"u{k % 7}",
                "event": name,
                "messageId": f"{self.run}-{name}-{i}-{k}",
                "timestamp": ts,
                "context": {"groupId": self.account(i)},
            }
            for k in range(BATCH)
        ]
        return orjson.dumps({"batch": batch})

    async def send_until_acked(self, http: httpx.AsyncClient, body: bytes, deadline: float) -> None:
        while True:
            self.attempts += 1
            try:
                r = await http.post("/v1/batch", content=body, headers={"Content-Type": "application/json"})
                if r.status_code == 200:
                    return
                why = str(r.status_code)
            except httpx.HTTPError as exc:
                why = type(exc).__name__
            self.failures[why] = self.failures.get(why, 0) + 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"a request was not acknowledged before the deadline (last: {why})")
            await asyncio.sleep(0.2)

    async def sender(self, deadline: float) -> None:
        async with httpx.AsyncClient(base_url=self.url, auth=(self.write_key, ""), timeout=15) as http:
            while self._next < self.requests:
                i, self._next = self._next, self._next + 1
                await self.send_until_acked(http, self.body(i), deadline)
                self.acked_requests += 1

    async def run_senders(self, concurrency: int, deadline: float) -> None:
        await asyncio.gather(*(self.sender(deadline) for _ in range(concurrency)))

    async def sentinels(self, deadline: float) -> None:
        """One request per account after everything: its partition's last record."""
        async with httpx.AsyncClient(base_url=self.url, auth=(self.write_key, ""), timeout=15) as http:
            for a in range(self.accounts):
                await self.send_until_acked(http, self.body(a, event="sentinel"), deadline)


def tally(load: Load, counted: dict[str, int]) -> dict[str, int]:
    """``counted``: health's sum per event name over the chaos accounts."""
    expected = {f"b{i}": BATCH for i in range(load.requests)}
    lost = sum(max(0, n - counted.get(name, 0)) for name, n in expected.items())
    double = sum(max(0, counted.get(name, 0) - n) for name, n in expected.items())
    stray = sum(n for name, n in counted.items() if name not in expected and name != "sentinel")
    return {
        "events_sent": load.requests * BATCH,
        "events_acknowledged": load.acked_requests * BATCH,
        "events_counted_by_health": sum(counted.get(name, 0) for name in expected),
        "lost": lost,
        "double_counted": double + stray,
        "requests_sent_including_retries": load.attempts,
    }

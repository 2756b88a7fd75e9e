"""Load for the HTTP benchmarks: tracking batches, a Python load generator (httpx) and wrk, a CPU sampler of
the processes under load, and the percentile and summary helpers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

BATCH_LUA = Path(__file__).resolve().parent / "batch.lua"


def make_bodies(n_requests: int, batch: int, tag: str) -> list[bytes]:
    now = datetime.now(UTC)
    features = ["Dashboard Viewed", "Report Exported", "Alert Configured", "Workflow Created"]
    bodies = []
    for r in range(n_requests):
        items = []
        for i in range(batch):
            k = r * batch + i
            items.append(
                {
                    "type": "track",
                    "userId": f"user-{k % 5000}",
                    "event": features[k % 4],
                    "messageId": f"{tag}-{k}",
                    "timestamp": (now - timedelta(seconds=k % 3600)).isoformat(),
                    "properties": {"plan": "pro", "seats": k % 50, "path": f"/app/view/{k % 17}"},
                    "context": {
                        "groupId": f"account-{k % 1000}",
                        "library": {"name": "bench", "version": "1"},
                        "ip": "127.0.0.1",
                        "userAgent": "bench/1.0",
                    },
                }
            )
        bodies.append(orjson.dumps({"batch": items, "sentAt": now.isoformat()}))
    return bodies


class Sampler:
    """Peak RSS and CPU seconds of a process (and its children), sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak_rss = 0
        self.peak_rss_by_pid: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    def _all(self) -> list[psutil.Process]:
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return [self.proc]

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self._all():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    async def _run(self) -> None:
        while True:
            rss = 0
            for p in self._all():
                with contextlib.suppress(psutil.Error):
                    one = p.memory_info().rss
                    rss += one
                    self.peak_rss_by_pid[p.pid] = max(self.peak_rss_by_pid.get(p.pid, 0), one)
            self.peak_rss = max(self.peak_rss, rss)
            await asyncio.sleep(0.05)

    def peak_rss_mb_per_process(self) -> list[float]:
        """Each process's own peak (the supervisor first, then its workers), in MB."""
        return [round(self.peak_rss_by_pid[pid] / 2**20, 1) for pid in sorted(self.peak_rss_by_pid)]

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()


def _summary(
    elapsed_s: float, requests: int, ok: int, lat_ms: dict[str, float], cpu_s: float, tool: str
) -> dict[str, Any]:
    return {"elapsed_s": elapsed_s, "requests": requests, "ok": ok, "latency_ms": lat_ms, "cpu_s": cpu_s, "tool": tool}


async def load_python(url: str, key: str, bodies: list[bytes], concurrency: int, deadline: float) -> dict[str, Any]:
    """httpx load generator: each body once, ``concurrency`` requests in flight."""
    latencies: list[float] = []
    ok = 0
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    cpu0 = time.process_time()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal ok
        for body in queue:
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            r = await client.post("/v1/batch", content=body, headers={"Content-Type": "application/json"})
            latencies.append(time.perf_counter() - t0)
            ok += r.status_code == 200

    async with httpx.AsyncClient(base_url=url, auth=httpx.BasicAuth(key, ""), limits=limits, timeout=30) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    lat = {
        "p50": pct(latencies, 0.50) * 1000,
        "p99": pct(latencies, 0.99) * 1000,
        "max": latencies[-1] * 1000,
        "mean": statistics.fmean(latencies) * 1000,
    }
    return _summary(elapsed, len(latencies), ok, lat, time.process_time() - cpu0, "python httpx")


async def load_wrk(url: str, key: str, bodies: list[bytes], concurrency: int, seconds: int) -> dict[str, Any]:
    """wrk (C, from Debian's packages) with bench/batch.lua: a load generator that leaves the CPU to
    the system under test. Runs for a fixed duration over the bodies (cycling if it runs out)."""
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
        f.write(b"\n".join(bodies) + b"\n")
    threads = min(2, concurrency)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(BATCH_LUA),
        url,
        "--",
        str(threads),
        env={**os.environ, "BODIES": f.name, "AUTH": auth},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    line = next(x for x in out.decode().splitlines() if x.startswith("WRK_RESULT "))
    r = json.loads(line.removeprefix("WRK_RESULT "))
    lat = {k: r[f"{k}_us"] / 1000 for k in ("p50", "p99", "max", "mean")}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return _summary(r["duration_us"] / 1e6, r["requests"], r["ok"], lat, cpu, "wrk")


def avg_event_bytes(body: bytes) -> int:
    """Size of the normalised events ingest publishes for one benchmark body (the value bytes)."""
    from ingest.domain.normalise import Message, normalise
    from ingest.events import envelopes_for

    now = datetime.now(UTC)
    sizes: list[int] = []
    for i, raw in enumerate(orjson.loads(body)["batch"]):
        msg = normalise(raw, index=i, received_at=now)
        assert isinstance(msg, Message)
        sizes.extend(len(e.data) for e in envelopes_for(msg, source_id="src_bench", account_id="a"))
    return round(sum(sizes) / len(sizes))


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")

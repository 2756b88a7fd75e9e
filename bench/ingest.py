"""Ingest benchmark (run by ``make bench``, see bench/run.py).

Ingest: events/s through POST /v1/batch (100-event batches) from acknowledged request to acks=all
on Kafka, p50/p99 request latency, peak RSS and CPU of the ingest process; and, on the same broker
in the same run, Kafka's own producer performance tool as the ceiling.

Bounded: a fixed number of events, and a wall-clock limit after which it stops and says so.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import platform
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from bellwether_shared.topics import USAGE, TopicSpec, ensure_topics
from devkit.infra import localinfra
from devkit.services import ServiceProcess
from devkit.stack import ingest_env, migrated

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
console = Console()
cli = typer.Typer(add_completion=False)


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


async def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        offsets = await consumer.end_offsets(parts)
        return sum(offsets.values())
    finally:
        await consumer.stop()


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
        str(ROOT / "bench" / "batch.lua"),
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


def kafka_perf_test(bootstrap: str, records: int, record_size: int) -> dict[str, Any]:
    libs = localinfra.fetch_kafka()
    asyncio.run(ensure_topics(bootstrap, (TopicSpec("bench.producer-perf", 6),)))
    cmd = [
        localinfra.java_bin(),
        "-Xmx512m",
        f"-Dlog4j2.configurationFile={localinfra.LOG4J2}",
        "-cp",
        f"{libs}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        "bench.producer-perf",
        "--num-records",
        str(records),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "enable.idempotence=true",
        "linger.ms=5",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    last = [line for line in out.splitlines() if "records sent" in line][-1]
    m = re.search(
        r"records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency.*?"
        r"([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th",
        last,
    )
    assert m, last
    return {
        "command": " ".join(
            [*cmd[:1], "-cp", "<kafka libs>", *cmd[cmd.index("org.apache.kafka.tools.ProducerPerformance") :]]
        ),
        "records": records,
        "record_size_bytes": record_size,
        "records_per_s": float(m.group(1)),
        "mb_per_s": float(m.group(2)),
        "avg_latency_ms": float(m.group(3)),
        "p50_ms": float(m.group(4)),
        "p99_ms": float(m.group(6)),
        "summary": last.strip(),
    }


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


def run_suite(
    ep: Any,
    tmp: Path,
    admin_db: str,
    *,
    events: int = 200_000,
    batch: int = 100,
    concurrency: int = 16,
    max_seconds: float = 600.0,
    kafka_perf: bool = True,
    workers: int = 2,
    loadgen: str = "auto",
    wrk_seconds: int = 30,
) -> dict[str, Any]:
    """The ingest benchmark on the given infrastructure; returns its results."""
    n_requests = events // batch
    tag = secrets.token_hex(4)
    db = migrated(admin_db, "ingest")
    svc = ServiceProcess(
        "ingest",
        ingest_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", DB_POOL_MAX="20", HTTP_WORKERS=str(workers)),
        tmp / "ingest.log",
    ).start()
    try:
        r = httpx.post(
            f"{svc.url}/v1/sources",
            json={"name": "bench", "rate_limit_eps": 1_000_000, "burst": 1_000_000},
            headers={"Authorization": f"Bearer {ingest_env(db, '')['ADMIN_TOKEN']}"},
        )
        key = r.json()["write_key"]
        console.print(f"generating {n_requests} bodies of {batch} events…")
        bodies = make_bodies(n_requests + 20, batch, tag)
        warm = asyncio.run(load_python(svc.url, key, bodies[:20], concurrency, time.monotonic() + 60))
        assert warm["ok"] == 20, warm
        before = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE))
        assert svc.proc is not None
        kafka_pid = _kafka_pid(ep)

        use_wrk = loadgen == "wrk" or (loadgen == "auto" and shutil.which("wrk") is not None)

        async def measured() -> tuple[dict[str, Any], Sampler, float, float | None]:
            with Sampler(svc.proc.pid) as sampler:  # type: ignore[union-attr]
                cpu0, kcpu0 = sampler.cpu_seconds(), _cpu(kafka_pid)
                if use_wrk:
                    res = await load_wrk(svc.url, key, bodies[20:], concurrency, wrk_seconds)
                else:
                    res = await load_python(svc.url, key, bodies[20:], concurrency, time.monotonic() + max_seconds)
                cpu = sampler.cpu_seconds() - cpu0
                kcpu = _cpu(kafka_pid) - kcpu0 if kafka_pid else None
            return res, sampler, cpu, kcpu

        res, sampler, cpu, kafka_cpu = asyncio.run(measured())
        after = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE))
    finally:
        svc.stop()
    sent = res["ok"] * batch
    ingest = {
        "distinct_events_generated": n_requests * batch,
        "events_acknowledged": sent,
        "events_on_kafka": after - before,
        "batch_size": batch,
        "concurrency": concurrency,
        "ingest_worker_processes": workers,
        "load_generator": res["tool"],
        "elapsed_s": round(res["elapsed_s"], 2),
        "events_per_s": round(sent / res["elapsed_s"], 1),
        "requests_per_s": round(res["requests"] / res["elapsed_s"], 1),
        "latency_ms": {k: round(v, 2) for k, v in res["latency_ms"].items()},
        "requests_answered": res["requests"],
        "requests_ok": res["ok"],
        "ingest_peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "ingest_peak_rss_mb_per_process": sampler.peak_rss_mb_per_process(),
        "ingest_cpu_cores_used": round(cpu / res["elapsed_s"], 2),
        "kafka_cpu_cores_used": round(kafka_cpu / res["elapsed_s"], 2) if kafka_cpu is not None else None,
        "load_generator_cpu_cores_used": round(res["cpu_s"] / res["elapsed_s"], 2),
        "ingest_cpu_us_per_event": round(cpu / max(sent, 1) * 1e6, 1),
        "avg_event_bytes_on_kafka": avg_event_bytes(bodies[0]),
    }
    record_size = ingest["avg_event_bytes_on_kafka"]
    perf = kafka_perf_test(ep.kafka_bootstrap, events, record_size) if kafka_perf else None
    out: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "infra": ep.mode},
        "target_events_per_s": 20_000,
        "http_batch": ingest,
        "kafka_producer_perf_test": perf,
        "targets": {"ingest_vs_kafka_producer_ratio": 0.5, "ingest_cpu_us_per_event": 28, "rss_mb_per_process": 250},
    }
    if perf:
        out["ingest_vs_kafka_producer_ratio"] = round(ingest["events_per_s"] / perf["records_per_s"], 3)
    return out


def _kafka_pid(ep: Any) -> int | None:
    port = int(ep.kafka_bootstrap.rsplit(":", 1)[1])
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


def _cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


def scaling_row(b: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "ingest_worker_processes",
        "events_per_s",
        "ingest_cpu_cores_used",
        "ingest_cpu_us_per_event",
        "kafka_cpu_cores_used",
        "ingest_peak_rss_mb_per_process",
    )
    return {k: b.get(k) for k in keys}


def print_results(r: dict[str, Any]) -> None:
    b, p = r["http_batch"], r["kafka_producer_perf_test"]
    table = Table(title=f"Ingest benchmark ({r['machine']['cores']} cores, infra: {r['machine']['infra']})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("events acknowledged / on Kafka", f"{b['events_acknowledged']:,} / {b['events_on_kafka']:,}"),
        ("ingest throughput (events/s)", f"{b['events_per_s']:,.0f}  (target 20,000)"),
        ("requests/s (100-event batches)", f"{b['requests_per_s']:,.0f} at concurrency {b['concurrency']}"),
        ("request latency p50 / p99 (ms)", f"{b['latency_ms']['p50']} / {b['latency_ms']['p99']}"),
        ("ingest peak RSS (MB)", f"{b['ingest_peak_rss_mb']}"),
        (
            "CPU cores: ingest / Kafka / load generator",
            f"{b['ingest_cpu_cores_used']} / {b['kafka_cpu_cores_used']} / {b['load_generator_cpu_cores_used']}",
        ),
        ("ingest CPU per event (µs)", f"{b['ingest_cpu_us_per_event']}  (target 28)"),
        ("ingest peak RSS per process (MB)", ", ".join(map(str, b.get("ingest_peak_rss_mb_per_process", [])))),
    ]
    if p:
        rows += [
            ("Kafka producer-perf-test (records/s)", f"{p['records_per_s']:,.0f}"),
            ("  its latency p50 / p99 (ms)", f"{p['p50_ms']} / {p['p99_ms']}"),
            ("ingest / Kafka producer ratio", f"{r.get('ingest_vs_kafka_producer_ratio')}  (target 0.5)"),
        ]
    for w in r.get("by_http_workers", []):
        label = f"  {w['ingest_worker_processes']} HTTP worker(s): events/s, CPU cores, µs/event"
        rows.append((label, f"{w['events_per_s']:,.0f}, {w['ingest_cpu_cores_used']}, {w['ingest_cpu_us_per_event']}"))
    for row in rows:
        table.add_row(*row)
    console.print(table)

"""Ingest benchmark (run by ``make bench``, see bench/run.py).

Ingest: events/s through POST /v1/batch (100-event batches) from acknowledged request to acks=all
on Kafka, p50/p99 request latency, peak RSS and CPU of the ingest process; and, on the same broker
in the same run, Kafka's own producer performance tool as the ceiling.

Bounded: a fixed number of events, and a wall-clock limit after which it stops and says so.
"""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bellwether_shared.topics import USAGE
from bench.kafka_perf import _cpu, _kafka_pid, end_offsets, kafka_perf_test
from bench.loadgen import Sampler, avg_event_bytes, load_python, load_wrk, make_bodies
from devkit.services import ServiceProcess
from devkit.stack import ingest_env, migrated

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
console = Console()
cli = typer.Typer(add_completion=False)


def _write_key(url: str, admin_token: str) -> str:
    """A source without a rate limit: the benchmark measures ingest, not the limiter."""
    r = httpx.post(
        f"{url}/v1/sources",
        json={"name": "bench", "rate_limit_eps": 1_000_000, "burst": 1_000_000},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    key: str = r.json()["write_key"]
    return key


@dataclass(frozen=True)
class Load:
    url: str
    key: str
    bodies: list[bytes]
    concurrency: int
    wrk_seconds: int | None  # None: the Python load generator
    max_seconds: float


async def _measured(pid: int, kafka_pid: int | None, load: Load) -> tuple[dict[str, Any], Sampler, float, float | None]:
    """The load, with the CPU ingest (and Kafka) used meanwhile."""
    with Sampler(pid) as sampler:
        cpu0, kcpu0 = sampler.cpu_seconds(), _cpu(kafka_pid)
        if load.wrk_seconds is not None:
            res = await load_wrk(load.url, load.key, load.bodies, load.concurrency, load.wrk_seconds)
        else:
            deadline = time.monotonic() + load.max_seconds
            res = await load_python(load.url, load.key, load.bodies, load.concurrency, deadline)
        cpu = sampler.cpu_seconds() - cpu0
        kcpu = _cpu(kafka_pid) - kcpu0 if kafka_pid else None
    return res, sampler, cpu, kcpu


def _figures(
    res: dict[str, Any],
    sampler: Sampler,
    cpu: float,
    kafka_cpu: float | None,
    *,
    sent: int,
    on_kafka: int,
    bodies: list[bytes],
) -> dict[str, Any]:
    """What one measured run says: rate, latency, memory and CPU per event."""
    return {
        "events_acknowledged": sent,
        "events_on_kafka": on_kafka,
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


def _started(ep: Any, tmp: Path, admin_db: str, *, workers: int, client: str) -> tuple[Any, ServiceProcess]:
    db = migrated(admin_db, "ingest")
    env = ingest_env(
        db,
        ep.kafka_bootstrap,
        LOG_LEVEL="WARNING",
        DB_POOL_MAX="20",
        HTTP_WORKERS=str(workers),
        KAFKA_PRODUCER_CLIENT=client,
    )
    return db, ServiceProcess("ingest", env, tmp / "ingest.log").start()


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
    client: str = "aiokafka",
) -> dict[str, Any]:
    """The ingest benchmark on the given infrastructure; returns its results. ``client``: the Kafka
    client the accepting routes publish with (``KAFKA_PRODUCER_CLIENT``)."""
    n_requests = events // batch
    tag = secrets.token_hex(4)
    db, svc = _started(ep, tmp, admin_db, workers=workers, client=client)
    try:
        key = _write_key(svc.url, ingest_env(db, "")["ADMIN_TOKEN"])
        console.print(f"generating {n_requests} bodies of {batch} events…")
        bodies = make_bodies(n_requests + 20, batch, tag)
        warm = asyncio.run(load_python(svc.url, key, bodies[:20], concurrency, time.monotonic() + 60))
        assert warm["ok"] == 20, warm
        before = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE))
        assert svc.proc is not None
        kafka_pid = _kafka_pid(ep)

        use_wrk = loadgen == "wrk" or (loadgen == "auto" and shutil.which("wrk") is not None)
        load = Load(svc.url, key, bodies[20:], concurrency, wrk_seconds if use_wrk else None, max_seconds)
        res, sampler, cpu, kafka_cpu = asyncio.run(_measured(svc.proc.pid, kafka_pid, load))
        after = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE))
    finally:
        svc.stop()
    sent = res["ok"] * batch
    ingest = _figures(res, sampler, cpu, kafka_cpu, sent=sent, on_kafka=after - before, bodies=bodies)
    ingest |= {"distinct_events_generated": n_requests * batch, "batch_size": batch, "concurrency": concurrency}
    ingest["ingest_worker_processes"] = workers
    ingest["kafka_producer_client"] = client
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


def scaling_row(b: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "kafka_producer_client",
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
    for c in r.get("by_kafka_client", []):
        label = f"  publishing with {c['kafka_producer_client']}: events/s, CPU cores, µs/event"
        rows.append((label, f"{c['events_per_s']:,.0f}, {c['ingest_cpu_cores_used']}, {c['ingest_cpu_us_per_event']}"))
    for row in rows:
        table.add_row(*row)
    console.print(table)

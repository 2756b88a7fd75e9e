"""``make bench BENCH_ARGS='--suite pipeline'``: ingest and health measured as one, as deployed (ingest with
2 HTTP workers, health as 2 processes in one consumer group, each with its re-score worker).

wrk drives ingest at its sustained maximum for ``seconds``; over the same window the suite reads how many
events ingest accepted and how many health committed (its consumer group's offsets on the usage topic),
and health's lag when the load stops, then how long health takes to drain it (bounded). Lag that stays
bounded needs health ≥ ingest. Then, on the same processes, the latency from ingest's 200 to the score
readable at 5k events/s of background load."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from bellwether_shared import topics
from bench.health import _lag
from bench.health_latency import latency
from bench.loadgen import Sampler, load_wrk, make_bodies
from devkit.services import ServiceProcess
from devkit.stack import create_source, health_env, ingest_env, migrated


async def _usage_parts(bootstrap: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topics.USAGE])
    finally:
        await admin.close()
    parts = [TopicPartition(topics.USAGE, p["partition"]) for p in described[0]["partitions"]]
    assert parts, "the usage topic has no partitions"
    return parts


async def _start_group_at_end(bootstrap: str, group: str) -> None:
    """Commit the topic's end offsets for a new group, before health joins it: health reads only what
    this run sends (the topic holds what earlier suites sent)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await _usage_parts(bootstrap)
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.commit({tp: OffsetAndMetadata(off, "") for tp, off in ends.items()})
    finally:
        await consumer.stop()


async def _committed(bootstrap: str, group: str) -> int:
    """The group's committed offsets, summed over the usage topic's partitions (read, never joined)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        total = 0
        for tp in await _usage_parts(bootstrap):
            total += await consumer.committed(tp) or 0
        return total
    finally:
        await consumer.stop()


async def _drain(bootstrap: str, group: str, limit_s: float) -> float | None:
    """Seconds until health's lag is 0 (None: not within ``limit_s``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if await _lag(bootstrap, group) == 0:
            return round(time.monotonic() - t0, 1)
        await asyncio.sleep(0.5)
    return None


async def _sustained(bootstrap: str, ingest: ServiceProcess, group: str, seconds: int) -> dict[str, Any]:
    key = create_source(ingest.url, rate_limit_eps=1_000_000, burst=1_000_000).write_key
    bodies = make_bodies(3_000, 100, f"pipe{int(time.time())}")  # 300,000 distinct events; wrk cycles
    committed0 = await _committed(bootstrap, group)
    res = await load_wrk(ingest.url, key, bodies, 16, seconds)
    committed1 = await _committed(bootstrap, group)
    lag = await _lag(bootstrap, group)
    drain = await _drain(bootstrap, group, limit_s=300)
    accepted = res["ok"] * 100 / res["elapsed_s"]
    committed = (committed1 - committed0) / res["elapsed_s"]
    return {
        "seconds": round(res["elapsed_s"], 1),
        "ingest_accepted_events_per_s": round(accepted, 1),
        "ingest_p99_ms": round(res["latency_ms"]["p99"], 1),
        "health_committed_events_per_s": round(committed, 1),
        "health_vs_ingest": round(committed / accepted, 3) if accepted else None,
        "health_lag_at_end": lag,
        "health_drain_after_load_s": drain,
    }


async def _measure(
    bootstrap: str, ingest: ServiceProcess, healths: list[ServiceProcess], group: str, seconds: int
) -> dict[str, Any]:
    pids = [p.proc.pid for p in (ingest, *healths) if p.proc is not None]
    assert len(pids) == 3, "every process started"
    with Sampler(pids[0]) as si, Sampler(pids[1]) as h1, Sampler(pids[2]) as h2:
        out = await _sustained(bootstrap, ingest, group, seconds)
        out["latency_at_5k"] = await latency(ingest, healths[0], bootstrap, 5000)
    out["peak_rss_mb"] = {
        "ingest (supervisor, then each worker)": si.peak_rss_mb_per_process(),
        "health": [round(h.peak_rss / 2**20, 1) for h in (h1, h2)],
    }
    return out


def run_suite(ep: Any, tmp: Path, admin_db: str, *, seconds: int = 60) -> dict[str, Any]:
    ingest_db, health_db = migrated(admin_db, "ingest"), migrated(admin_db, "health")
    group = f"bench-pipeline-{int(time.time())}"
    asyncio.run(_start_group_at_end(ep.kafka_bootstrap, group))
    ingest = ServiceProcess(
        "ingest", ingest_env(ingest_db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", HTTP_WORKERS="2"), tmp / "pi.log"
    )
    env = health_env(health_db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", CONSUMER_GROUP=group, MIN_DELTA="0")
    healths = [ServiceProcess("health", dict(env), tmp / f"ph{i}.log") for i in range(2)]
    with contextlib.ExitStack() as stack:
        for svc in (ingest, *healths):
            svc.start()
            stack.callback(svc.stop)
        out = asyncio.run(_measure(ep.kafka_bootstrap, ingest, healths, group, seconds))
    out["targets"] = {"health_vs_ingest": ">= 1 (lag bounded)", "readable_p99_ms_at_5k": 500, "rss_mb": 250}
    out["how"] = (
        "wrk, 16 connections, 100-event /v1/batch bodies for the window; health's rate from its group's committed "
        "offsets on usage.events.v1 over the same window; all on this machine with Kafka and PostgreSQL"
    )
    return out


def print_results(r: dict[str, Any]) -> None:
    from rich.console import Console

    lat = r["latency_at_5k"]["readable_ms"]
    Console().print(
        f"pipeline over {r['seconds']} s: ingest accepted {r['ingest_accepted_events_per_s']:,.0f}/s, health "
        f"committed {r['health_committed_events_per_s']:,.0f}/s (ratio {r['health_vs_ingest']}), lag at end "
        f"{r['health_lag_at_end']}, drained in {r['health_drain_after_load_s']} s; at 5k/s ingest 200 → "
        f"readable p50 {lat['p50']} / p99 {lat['p99']} ms; peak RSS {r['peak_rss_mb']}"
    )

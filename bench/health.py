"""Health benchmarks (run by ``make bench``, see bench/run.py):

* consumer throughput: usage events already on Kafka → committed rollups (events/s), with the
  re-score workers running as in production;
* latency from ingest's 200 to the score being readable through the API and emitted on health.v1,
  under a steady background load of 1k and 5k events/s (p50/p99);
* a full re-score of 100k accounts after a scorecard change;
* peak RSS of the health process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from bellwether_shared import topics
from bellwether_shared.db import connect
from bellwether_shared.kafka import create_producer, publish
from bench import parse_cost
from bench.health_latency import latency
from bench.loadgen import Sampler
from devkit.events import usage_envelope
from devkit.services import ServiceProcess
from devkit.stack import health_env, ingest_env, migrated

console = Console()


async def _preload(bootstrap: str, n: int, accounts: int, tag: str) -> None:
    now = datetime.now(UTC)
    producer = create_producer(bootstrap, client_id="bench-preload")
    await producer.start()
    try:
        for start in range(0, n, 5000):
            envs = []
            for i in range(start, min(n, start + 5000)):
                account = f"{tag}-a{i % accounts}"
                envs.append(
                    usage_envelope(
                        f"{tag}-{i}",
                        account,
                        event=("Dashboard Viewed", "Report Exported", "Alert Configured")[i % 3],
                        user=f"u{i % 37}",
                        timestamp=now - timedelta(days=i % 20),
                        source="bellwether/bench",
                        properties={"plan": "pro"},
                    )
                )
            await publish(producer, envs, timeout_s=60)
    finally:
        await producer.stop()


async def _lag(bootstrap: str, group: str, topic: str = topics.USAGE) -> int | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        try:
            committed = await admin.list_consumer_group_offsets(group)
        except KafkaError:  # a fresh broker has no coordinator for a moment
            return None
        described = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
        assert parts, f"{topic} has no partitions in the metadata"
        ends = await consumer.end_offsets(parts)
        if not committed:
            return None
        return int(sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items()))
    finally:
        await consumer.stop()
        await admin.close()


async def consumer_throughput(ep: Any, tmp: Path, db: Any, events: int, replicas: int = 1) -> dict[str, Any]:
    """``replicas`` health processes in one consumer group (the Deployment runs 2), each with its share
    of the usage topic's partitions."""
    tag = f"tp{replicas}x{int(time.time())}"
    base_lag_group = "bench-health-" + tag
    console.print(f"health: pre-loading {events:,} usage events onto Kafka ({replicas} consumer process(es))…")
    await _preload(ep.kafka_bootstrap, events, accounts=2000, tag=tag)
    env = health_env(
        db,
        ep.kafka_bootstrap,
        CONSUMER_GROUP=base_lag_group,
        LOG_LEVEL="WARNING",
        CONSUMER_MAX_RECORDS="2000",
        WORKERS="0",
    )
    procs = [ServiceProcess("health", env, tmp / f"health-throughput-{i}.log") for i in range(replicas)]
    t0 = time.perf_counter()
    for svc in procs:
        svc.start(wait_ready=False)
    first: tuple[float, int] | None = None  # (time, lag) at the group's first commit
    try:
        with contextlib.ExitStack() as stack:
            samplers = [stack.enter_context(Sampler(svc.proc.pid)) for svc in procs if svc.proc is not None]
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                lag = await _lag(ep.kafka_bootstrap, base_lag_group)
                if lag is not None and first is None:
                    first = (time.perf_counter(), lag)
                if lag == 0:
                    break
                await asyncio.sleep(0.1)
            t_end = time.perf_counter()
    finally:
        for svc in procs:
            svc.stop()
    conn = await connect(db.url, schema="health")
    try:
        total = int(
            await conn.fetchval("SELECT coalesce(sum(events), 0) FROM usage_daily WHERE account_id LIKE $1", f"{tag}-%")
        )
    finally:
        await conn.close()
    steady = first[1] / (t_end - first[0]) if first and t_end > first[0] else None
    return {
        "consumer_processes": replicas,
        "events_consumed": total,
        "elapsed_s_including_start_up": round(t_end - t0, 2),
        "events_per_s": round(steady, 1) if steady else None,
        "events_per_s_including_start_up": round(total / (t_end - t0), 1),
        "how": "lag of a fresh consumer group, from its first commit to zero (start-up excluded)",
        "peak_rss_mb_per_process": [round(sm.peak_rss / 2**20, 1) for sm in samplers],
        "target_events_per_s": 20_000,
    }


def run_suite(
    ep: Any,
    tmp: Path,
    admin_db: str,
    *,
    events: int = 200_000,
    rates: tuple[int, ...] = (1000, 5000),
) -> dict[str, Any]:
    db = migrated(admin_db, "health")
    results: dict[str, Any] = {
        "usage_parse": parse_cost.measure(),
        "consumer": asyncio.run(consumer_throughput(ep, tmp, db, events, replicas=1)),
        "consumer_two_processes": asyncio.run(consumer_throughput(ep, tmp, db, events, replicas=2)),
    }
    ingest_db = migrated(admin_db, "ingest")
    group = f"bench-health-lat-{int(time.time())}"
    ingest = ServiceProcess(
        "ingest", ingest_env(ingest_db, ep.kafka_bootstrap, LOG_LEVEL="WARNING"), tmp / "ingest-lat.log"
    ).start()
    health = ServiceProcess(
        "health",
        health_env(
            db,
            ep.kafka_bootstrap,
            LOG_LEVEL="WARNING",
            MIN_DELTA="0",
            CONSUMER_MAX_RECORDS="2000",
            CONSUMER_GROUP=group,
        ),
        tmp / "health-lat.log",
    )
    health.start()
    # latency as deployed: two replicas in one consumer group (deploy/k8s/base/health: replicas 2)
    second = ServiceProcess("health", dict(health.env), tmp / "health-lat-2.log")
    try:
        second.start()
        health.wait(lambda: asyncio.run(_lag(ep.kafka_bootstrap, group)) == 0, 300, "caught up with the topic")
        results["latency"] = [
            {**asyncio.run(latency(ingest, health, ep.kafka_bootstrap, rate)), "health_processes": 2} for rate in rates
        ]
        # the re-score is measured by its own suite (bench/rescore_curve.py: 10k, 100k, 300k accounts)
    finally:
        second.stop()
        health.stop()
        ingest.stop()
    return results


def print_results(r: dict[str, Any]) -> None:
    t = Table(title="Health benchmark")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for key in ("consumer", "consumer_two_processes"):
        c = r.get(key)
        if not c:
            continue
        n = c.get("consumer_processes", 1)
        t.add_row(
            f"consumer, {n} process(es): Kafka → committed rollups (events/s)",
            f"{c['events_per_s'] or 0:,.0f} steady, {c['events_per_s_including_start_up']:,.0f} with start-up "
            f"({c['events_consumed']:,} events; target 20,000)",
        )
        t.add_row(
            f"consumer, {n} process(es): peak RSS (MB)", str(c.get("peak_rss_mb_per_process", c.get("peak_rss_mb")))
        )
    if parse := r.get("usage_parse"):
        t.add_row(
            "usage event: typed model parse / dict fields (µs per event)",
            f"{parse['typed_model_us_per_event']} / {parse['dict_fields_us_per_event']}",
        )
    for lat in r.get("latency", []):
        t.add_row(
            f"ingest 200 → readable via API at {lat['background_events_per_s']:,}/s (p50 / p99 ms)",
            f"{lat['readable_ms']['p50']} / {lat['readable_ms']['p99']}",
        )
        t.add_row(
            f"ingest 200 → emitted on health.v1 at {lat['background_events_per_s']:,}/s (p50 / p99 ms)",
            f"{lat['emitted_ms']['p50']} / {lat['emitted_ms']['p99']}",
        )
    console.print(t)

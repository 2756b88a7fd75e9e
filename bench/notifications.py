"""Notifications benchmarks (run by ``make bench``, see bench/run.py):

* fan-out throughput: pending deliveries → signed webhooks received by a local receiver (deliveries/s);
* catch-up: a receiver down while 10k deliveries pile up (each fails and backs off), then back: the
  time until every one is delivered;
* latency from an ingest call (a champion-departed signal) to the signed webhook received, under a
  background of other signals (p50/p99; target p99 ≤ 2 s).

The receiver is a real HTTP server (uvicorn) in this process, on a loopback port; the service reaches
it through its explicit allowlist.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from bellwether_shared.db import connect
from bench.loadgen import Sampler
from bench.notifications_latency import _destination, latency
from devkit.receiver import Receiver, SmtpServer
from devkit.services import ServiceProcess
from devkit.stack import ingest_env, migrated, notifications_env

console = Console()


async def _pile(db_url: str, destination: str, n: int) -> None:
    """``n`` pending deliveries (alert-sized JSON bodies) for the destination, as rules would queue them."""
    body = orjson.dumps(
        {
            "type": "bellwether.alert.v1",
            "severity": "high",
            "title": "Renewal at risk: Acme",
            "text": "Renewal of Acme on 2027-01-10 (40 days, ARR 120,000) is at risk: health is red (31)",
        }
    )
    conn = await connect(db_url, schema="notifications")
    try:
        await conn.copy_records_to_table(
            "deliveries",
            columns=["delivery_id", "destination_id", "digest_id", "recipient", "kind", "payload"],
            records=[(f"msg_{uuid.uuid4().hex}", destination, "bench", "bench", "webhook", body) for _ in range(n)],
        )
    finally:
        await conn.close()


async def _count(db_url: str, destination: str, status: str) -> int:
    conn = await connect(db_url, schema="notifications")
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM deliveries WHERE destination_id = $1 AND status = $2", destination, status
            )
        )
    finally:
        await conn.close()


async def _all_attempted(db_url: str, destination: str) -> bool:
    conn = await connect(db_url, schema="notifications")
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM deliveries WHERE destination_id = $1 AND attempts = 0", destination
        )
        return int(left) == 0
    finally:
        await conn.close()


async def _drain(db_url: str, destination: str, n: int, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await _count(db_url, destination, "succeeded") >= n:
            return time.perf_counter() - t0
        await asyncio.sleep(0.2)
    raise AssertionError(f"{n} deliveries not done within {timeout}s")


async def fan_out_and_catch_up(svc: ServiceProcess, db_url: str, n: int) -> dict[str, Any]:
    rx = Receiver().start()
    try:
        dest = await _destination(svc.url, rx.url)
        assert svc.proc is not None
        with Sampler(svc.proc.pid) as sampler:
            cpu0 = sampler.cpu_seconds()
            await _pile(db_url, dest, n)
            elapsed = await _drain(db_url, dest, n)
            cpu = sampler.cpu_seconds() - cpu0
        fan_out = {
            "deliveries": n,
            "elapsed_s": round(elapsed, 2),
            "deliveries_per_s": round(n / elapsed, 1),
            "service_cpu_cores_used": round(cpu / elapsed, 2),
            "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
            "received": len(rx.requests),
        }
    finally:
        rx.stop()
    down = Receiver()  # its port is chosen, nothing listens yet: connections are refused
    dest = await _destination(svc.url, down.url)
    await _pile(db_url, dest, n)
    t_down = time.perf_counter()
    while not await _all_attempted(db_url, dest):
        await asyncio.sleep(0.5)
    failed_for = time.perf_counter() - t_down
    down.start()
    try:
        elapsed = await _drain(db_url, dest, n)
    finally:
        down.stop()
    ids = down.ids()
    return {
        "fan_out": fan_out,
        "catch_up": {
            "pending_deliveries": n,
            "every_one_failed_at_least_once_within_s": round(failed_for, 1),
            "receiver_up_to_all_delivered_s": round(elapsed, 2),
            "received": len(ids),
            "distinct_ids_received": len(set(ids)),
            "how": "receiver refused connections until every delivery had failed once (backoff scheduled), "
            "then came back; the first success pulls the destination's other pending deliveries forward",
        },
    }


def run_suite(ep: Any, tmp: Path, admin_db: str, *, deliveries: int = 10_000) -> dict[str, Any]:
    db = migrated(admin_db, "notifications")
    smtp = SmtpServer().start()
    svc = ServiceProcess(
        "notifications",
        notifications_env(
            db,
            ep.kafka_bootstrap,
            smtp.port,
            LOG_LEVEL="WARNING",
            RETRY_BASE_S="1",
            RETRY_CAP_S="5",
            DELIVERY_CONCURRENCY="64",
            # the pipeline's own latency: by default a new incident's message waits INCIDENT_GROUP_WAIT_S
            # (5 s) for more causes, by design (one cause, one message), and every probe would show it
            INCIDENT_GROUP_WAIT_S="0",
        ),
        tmp / "notifications.log",
    ).start()
    try:
        results = asyncio.run(fan_out_and_catch_up(svc, db.url, deliveries))
        ingest_db = migrated(admin_db, "ingest")
        ingest = ServiceProcess(
            "ingest", ingest_env(ingest_db, ep.kafka_bootstrap, LOG_LEVEL="WARNING"), tmp / "ingest-n.log"
        ).start()
        try:
            results["latency"] = asyncio.run(latency(ingest, svc, probes=40, background_per_s=200))
        finally:
            ingest.stop()
    finally:
        svc.stop()
        smtp.stop()
    results["settings"] = {"retry_base_s": 1, "retry_cap_s": 5, "delivery_concurrency": 64, "incident_group_wait_s": 0}
    return results


def print_results(r: dict[str, Any]) -> None:
    t = Table(title="Notifications benchmark")
    t.add_column("measure")
    t.add_column("value", justify="right")
    f = r["fan_out"]
    t.add_row(
        "fan-out: pending → signed webhooks received (deliveries/s)",
        f"{f['deliveries_per_s']:,.0f} ({f['deliveries']:,} in {f['elapsed_s']} s, "
        f"{f['service_cpu_cores_used']} cores)",
    )
    c = r["catch_up"]
    t.add_row(
        f"catch-up: receiver back → all {c['pending_deliveries']:,} delivered (s)",
        f"{c['receiver_up_to_all_delivered_s']} ({c['distinct_ids_received']:,} distinct ids)",
    )
    lat = r["latency"]
    t.add_row(
        f"ingest call → webhook received, {lat['background_signals_per_s']} signals/s background (p50 / p99 ms)",
        f"{lat['ms']['p50']} / {lat['ms']['p99']} ({lat['webhooks_received']}/{lat['probes']}; target 2,000)",
    )
    lag = lat["consumer_lag_at_probe"]
    t.add_row("  consumer lag when a probe was sent (records, p50 / max)", f"{lag['p50']:,.0f} / {lag['max']:,}")
    t.add_row("peak RSS (MB)", str(f["peak_rss_mb"]))
    console.print(t)

"""Renewals benchmarks (run by ``make bench``, see bench/run.py):

* risk re-assessment throughput: health score changes already on Kafka → committed risk state
  (events/s), for accounts that have open renewals;
* latency from a health colour change (acknowledged by Kafka) to the ``risk_changed`` event on
  renewals.v1, with background health traffic (p50/p99; target p99 ≤ 1 s);
* forecast, backtest and books query time over 100k accounts and 300k contracts (target ≤ 2 s each);
* peak RSS of the renewals process.

The book of business is seeded straight into renewals' tables (as if years of events had been
consumed); what is measured then goes through Kafka and the HTTP API as in production.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from rich.console import Console
from rich.table import Table

from bellwether_shared import topics
from bellwether_shared.db import connect
from bellwether_shared.kafka import create_producer, publish
from bench.health import _lag
from bench.loadgen import Sampler
from bench.renewals_latency import _health, _open_renewal_accounts, latency
from devkit.services import ServiceProcess
from devkit.stack import migrated, renewals_env, renewals_headers

console = Console()
SEED_SQL = """
INSERT INTO accounts (account_id, tier, exposure, csm, health_score, health_colour, health_computed_at)
SELECT 'b' || i, (ARRAY['strategic', 'mid', 'scale'])[1 + i % 3], (ARRAY['high', 'moderate', 'low'])[1 + i % 3],
       'csm' || (i % 400), s, CASE WHEN s < 40 THEN 'red' WHEN s < 70 THEN 'yellow' ELSE 'green' END, now()
FROM generate_series(0, $1 - 1) i, LATERAL (SELECT (i * 37 % 100)::float8 AS s) x;

INSERT INTO contracts (contract_id, account_id, start_date, end_date, term_months, arr, list_price, discount_pct)
SELECT 'bc' || i || '-' || k, 'b' || i, d - 365, d, 12, 10000 + (i % 50) * 1000, 12000 + (i % 50) * 1000,
       round((1 - (10000 + (i % 50) * 1000)::numeric / (12000 + (i % 50) * 1000)) * 100, 2)
FROM generate_series(0, $1 - 1) i, generate_series(0, $2 - 1) k,
     LATERAL (SELECT current_date - 400 + ((i * 7 + k * 263) % 800) AS d) x;

-- five announced scores per account over the last two years
INSERT INTO health_history (account_id, computed_at, value, colour, scorecard_id, scorecard_version)
SELECT 'b' || i, now() - make_interval(days => 730 - 150 * k), s,
       CASE WHEN s < 40 THEN 'red' WHEN s < 70 THEN 'yellow' ELSE 'green' END, 'default', 1 + (k / 3)
FROM generate_series(0, $1 - 1) i, generate_series(0, 4) k, LATERAL (SELECT ((i * 37 + k * 11) % 100)::float8 AS s) x;

-- past contracts: closed renewals whose outcome leans on the score (low scores churn more)
INSERT INTO opportunities (opportunity_id, account_id, contract_id, kind, renewal_date, arr, stage, outcome, arr_change,
                           closed_at, colour_at_close, owner_id, owner_role, owner_reason)
SELECT 'renewal-' || c.contract_id, c.account_id, c.contract_id, 'renewal', c.end_date, c.arr, 'closed',
       CASE WHEN (hashtext(c.contract_id) & 127) < 110 - a.health_score THEN 'churned' ELSE 'renewed' END,
       CASE WHEN (hashtext(c.contract_id) & 127) < 110 - a.health_score THEN -c.arr ELSE 0 END,
       c.end_date, a.health_colour, a.csm, 'csm', 'seed'
FROM contracts c JOIN accounts a USING (account_id) WHERE c.end_date < current_date;

-- contracts ending within the lead time: open renewals
INSERT INTO opportunities (opportunity_id, account_id, contract_id, kind, renewal_date, arr, owner_id, owner_role,
                           owner_reason)
SELECT 'renewal-' || c.contract_id, c.account_id, c.contract_id, 'renewal', c.end_date, c.arr, 'csm0', 'csm', 'seed'
FROM contracts c WHERE c.end_date BETWEEN current_date AND current_date + 120;
"""


SEEDED_TABLES = ("accounts", "contracts", "opportunities", "health_history")


async def _seed(db_url: str, accounts: int, contracts_per_account: int) -> dict[str, int]:
    conn = await connect(db_url, schema="renewals")
    try:
        await conn.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)} CASCADE")
        for statement in SEED_SQL.split(";\n\n"):
            sql = statement.strip().rstrip(";")
            args = [accounts, contracts_per_account][: 2 if "$2" in sql else 1 if "$1" in sql else 0]
            await conn.execute(sql, *args)
        await conn.execute("ANALYZE")
        counts = {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in SEEDED_TABLES}
        counts["open_renewals"] = int(await conn.fetchval("SELECT count(*) FROM opportunities WHERE stage <> 'closed'"))
        return counts
    finally:
        await conn.close()


async def _start_group_at_end(bootstrap: str, group: str) -> None:
    """Commit the current end of the topics renewals reads for ``group``: it starts there."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topics.SIGNALS, topics.HEALTH])
        parts = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
        assert parts, "no partitions in the metadata"
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.commit({tp: OffsetAndMetadata(off, "") for tp, off in ends.items()})
    finally:
        await consumer.stop()
        await admin.close()


async def risk_throughput(ep: Any, tmp: Path, db: Any, events: int) -> dict[str, Any]:
    accounts = await _open_renewal_accounts(db.url, 20_000)
    group = f"bench-renewals-{int(time.time())}"
    await _start_group_at_end(ep.kafka_bootstrap, group)
    now = datetime.now(UTC)
    producer = create_producer(ep.kafka_bootstrap, client_id="bench-renewals")
    await producer.start()
    try:  # red and green in turn, so about half the events move an opportunity in or out of risk
        for start in range(0, events, 5000):
            envs = [
                _health(
                    accounts[i % len(accounts)],
                    20 if (i // len(accounts)) % 2 == 0 else 90,
                    now + timedelta(microseconds=i),
                )
                for i in range(start, min(events, start + 5000))
            ]
            await publish(producer, envs, timeout_s=60)
    finally:
        await producer.stop()
    svc = ServiceProcess(
        "renewals",
        renewals_env(db, ep.kafka_bootstrap, CONSUMER_GROUP=group, LOG_LEVEL="WARNING", SWEEP="false"),
        tmp / "renewals-throughput.log",
    )
    t0 = time.perf_counter()
    svc.start(wait_ready=False)
    assert svc.proc is not None
    first: tuple[float, int] | None = None
    try:
        with Sampler(svc.proc.pid) as sampler:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                lag = await _lag_of(ep.kafka_bootstrap, group)
                if lag is not None and first is None and lag < events:
                    first = (time.perf_counter(), lag)
                if lag == 0:
                    break
                await asyncio.sleep(0.1)
            t_end = time.perf_counter()
    finally:
        svc.stop()
    conn = await connect(db.url, schema="renewals")
    try:
        at_risk = int(await conn.fetchval("SELECT count(*) FROM opportunities WHERE at_risk"))
    finally:
        await conn.close()
    steady = first[1] / (t_end - first[0]) if first and t_end > first[0] else None
    return {
        "health_events": events,
        "accounts_with_open_renewals": len(accounts),
        "events_per_s": round(steady, 1) if steady else None,
        "events_per_s_including_start_up": round(events / (t_end - t0), 1),
        "open_renewals_at_risk_after": at_risk,
        "how": "lag of the health.v1 events of a fresh consumer group from its first commit to zero",
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
    }


async def _lag_of(bootstrap: str, group: str) -> int | None:
    return await _lag(bootstrap, group, topic=topics.HEALTH)


async def queries(renewals: ServiceProcess, runs: int = 5) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "forecast_next_12_months_by_quarter": (
            "/v1/forecast",
            {"from": str(today), "to": str(today + timedelta(days=365))},
        ),
        "forecast_all_contracts_by_month": (
            "/v1/forecast",
            {"from": "2000-01-01", "to": "2100-01-01", "period": "month"},
        ),
        "backtest_90_days_before": ("/v1/backtest", {"days_before": 90}),
        "books_by_csm": ("/v1/books", {}),
    }
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=renewals.url, headers=renewals_headers("viewer"), timeout=120) as http:
        for name, (path, params) in calls.items():
            times: list[float] = []
            body: dict[str, Any] = {}
            for _ in range(runs):
                t0 = time.perf_counter()
                r = await http.get(path, params=params)
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
                body = r.json()
            times.sort()
            out[name] = {"median_ms": round(statistics.median(times) * 1000, 1), "max_ms": round(times[-1] * 1000, 1)}
            if path == "/v1/backtest":
                out[name]["samples"] = body["overall"]["samples"]
                out[name]["auc"] = body["overall"]["auc"]
            if path == "/v1/forecast":
                out[name]["contracts"] = sum(c["contracts"] for c in body["cells"])
    out["target_ms"] = 2000
    return out


async def _api_phase(renewals: ServiceProcess, db: Any, bootstrap: str) -> dict[str, Any]:
    assert renewals.proc is not None
    with Sampler(renewals.proc.pid) as sampler:
        lat = await latency(renewals, db, bootstrap, probes=40, background_per_s=500)
        q = await queries(renewals)
    return {"latency": lat, "queries": q, "api_process_peak_rss_mb": round(sampler.peak_rss / 2**20, 1)}


async def _queries_alone(renewals: ServiceProcess) -> dict[str, Any]:
    return await queries(renewals, runs=3)


def queries_at(ep: Any, tmp: Path, db: Any, accounts: int, contracts_per_account: int) -> dict[str, Any]:
    """The same queries over a smaller book (how their cost grows with the number of accounts)."""
    seeded = asyncio.run(_seed(db.url, accounts, contracts_per_account))
    renewals = ServiceProcess(
        "renewals", renewals_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", SWEEP="false"), tmp / "renewals-q.log"
    ).start()
    try:
        q = asyncio.run(_queries_alone(renewals))
        return {"accounts": accounts, "contracts": seeded["contracts"], "queries": q}
    finally:
        renewals.stop()


def run_suite(
    ep: Any, tmp: Path, admin_db: str, *, accounts: int = 100_000, contracts_per_account: int = 3, events: int = 50_000
) -> dict[str, Any]:
    db = migrated(admin_db, "renewals")
    smaller = queries_at(ep, tmp, db, accounts // 10, contracts_per_account)
    t0 = time.perf_counter()
    seeded: dict[str, Any] = dict(asyncio.run(_seed(db.url, accounts, contracts_per_account)))
    seeded["seconds"] = round(time.perf_counter() - t0, 1)
    console.print(f"renewals: seeded {seeded}")
    results: dict[str, Any] = {"seeded": seeded, "risk": asyncio.run(risk_throughput(ep, tmp, db, events))}
    group = f"bench-renewals-lat-{int(time.time())}"
    renewals = ServiceProcess(
        "renewals",
        renewals_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", SWEEP="false", CONSUMER_GROUP=group),
        tmp / "renewals-lat.log",
    ).start()
    try:  # a fresh group reads health.v1 from the start: probe once it has caught up
        renewals.wait(lambda: asyncio.run(_lag_of(ep.kafka_bootstrap, group)) == 0, 300, "caught up with health.v1")
        results.update(asyncio.run(_api_phase(renewals, db, ep.kafka_bootstrap)))
    finally:
        renewals.stop()
    results["queries_by_book_size"] = [
        smaller,
        {"accounts": accounts, "contracts": seeded["contracts"], "queries": results["queries"]},
    ]
    return results


def print_results(r: dict[str, Any]) -> None:
    t = Table(title="Renewals benchmark")
    t.add_column("measure")
    t.add_column("value", justify="right")
    s = r["seeded"]
    t.add_row(
        "seeded",
        f"{s['accounts']:,} accounts, {s['contracts']:,} contracts, {s['opportunities']:,} opportunities "
        f"({s['open_renewals']:,} open), {s['health_history']:,} history rows",
    )
    k = r["risk"]
    t.add_row(
        "risk: health.v1 → committed risk state (events/s)",
        f"{k['events_per_s'] or 0:,.0f} steady, {k['events_per_s_including_start_up']:,.0f} with start-up",
    )
    lat = r["latency"]
    t.add_row(
        f"colour change → risk_changed, {lat['background_health_events_per_s']}/s background (p50 / p99 ms)",
        f"{lat['ms']['p50']} / {lat['ms']['p99']} ({lat['risk_events_seen']}/{lat['probes']} probes; target 1,000)",
    )
    for name, q in r["queries"].items():
        if isinstance(q, dict):
            t.add_row(f"{name} (median / max ms)", f"{q['median_ms']} / {q['max_ms']} (target 2,000)")
    for size in r.get("queries_by_book_size", [])[:-1]:
        for name, q in size["queries"].items():
            if isinstance(q, dict):
                t.add_row(f"  at {size['accounts']:,} accounts: {name} (median ms)", f"{q['median_ms']}")
    t.add_row("peak RSS (MB): consumer run / API run", f"{k['peak_rss_mb']} / {r['api_process_peak_rss_mb']}")
    console.print(t)

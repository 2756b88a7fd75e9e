"""``make chaos``: a fault suite you can run (not part of ``make test``; bounded in count and time).

A million usage events (``--requests`` × 100) go through ingest into health on a broker and a
database of the suite's own, while it: kills -9 ingest, kills -9 health (twice), pauses the broker
(SIGSTOP … SIGCONT), restarts PostgreSQL in immediate mode (SIGQUIT: no checkpoint, crash recovery
at start), and kills -9 notifications in the middle of a webhook fan-out (champion-departed alerts
to a real HTTP receiver). Then it proves the outcome with sentinels, not a quiet window: one last
request per account, and health has counted it, so every earlier record of that partition too.

Printed and written to bench/results.json (``chaos``): events sent, acknowledged, counted by
health, lost, double-counted, redeliveries health's consumer observed (inbox duplicates), and per
alert the webhooks received (each at least one; a duplicate only with the same webhook-id).
Required: lost 0, double-counted 0, every alert delivered."""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bellwether_shared.db import connect
from bellwether_shared.topics import ensure_topics
from bench.chaos_load import Load, tally
from bench.chaos_proof import _all_sentinels, _counted, _nothing_pending, _webhooks
from bench.faults import Duplicates, Faults, _until
from bench.run import RESULTS, _fresh_database
from devkit.infra import localinfra
from devkit.receiver import Receiver
from devkit.services import ServiceProcess
from devkit.stack import (
    NOTIFICATIONS_TOKEN,
    create_source,
    health_env,
    ingest_env,
    migrated,
    notifications_env,
)

console = Console()
CSMS = [f"chaos-csm-{i}" for i in range(4)]  # 4 people: each under the 1,000 alerts/h throttle


async def _setup_fan_out(
    ingest: ServiceProcess, notify: ServiceProcess, notify_db: str, rx: Receiver, key: str, n: int, run: str
) -> list[str]:
    accounts = [f"alert-{run}-{i}" for i in range(n)]
    async with httpx.AsyncClient(base_url=notify.url, headers={"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"}) as h:
        r = await h.post("/v1/destinations", json={"name": "chaos receiver", "kind": "webhook", "target": rx.url})
        dest = r.raise_for_status().json()["destination_id"]
        for person in CSMS:
            (await h.put(f"/v1/people/{person}", json={"role": "csm", "throttle_per_hour": 1000})).raise_for_status()
            (await h.post("/v1/subscriptions", json={"destination_id": dest, "recipient": person})).raise_for_status()
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, ""), timeout=30) as h:
        for i in range(0, n, 100):
            batch = [
                {"type": "account.upserted", "account_id": a, "owners": {"csm": CSMS[j % len(CSMS)]}}
                for j, a in enumerate(accounts[i : i + 100], start=i)
            ]
            (await h.post("/v1/signals", json={"batch": batch})).raise_for_status()

    async def projected() -> bool:
        conn = await connect(notify_db, schema="notifications")
        try:
            return bool(
                await conn.fetchval(
                    "SELECT count(*) FROM accounts WHERE account_id = ANY($1) AND csm IS NOT NULL", accounts
                )
                == n
            )
        finally:
            await conn.close()

    await _until(projected, "alert accounts projected in notifications", 120)
    return accounts


async def _champions_leave(ingest: ServiceProcess, key: str, accounts: list[str]) -> None:
    async with httpx.AsyncClient(base_url=ingest.url, auth=(key, ""), timeout=30) as h:
        for i in range(0, len(accounts), 100):
            batch = [
                {
                    "type": "contact.changed",
                    "account_id": a,
                    "contact_id": "champ",
                    "is_champion": True,
                    "departed": True,
                }
                for a in accounts[i : i + 100]
            ]
            (await h.post("/v1/signals", json={"batch": batch})).raise_for_status()


@dataclass
class Run:
    """One chaos run: its own broker, database, services and receiver; ``deadline`` bounds it all."""

    tmp: Path
    deadline: float
    id: str = field(default_factory=lambda: secrets.token_hex(3))
    t0: float = field(default_factory=time.monotonic)
    rx: Receiver = field(default_factory=lambda: Receiver(delay_s=0.1))  # slow: the fan-out can be cut
    dups: Duplicates = field(default_factory=Duplicates)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    dbs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kafka = localinfra.KafkaNode(
            self.tmp / "kafka", localinfra.free_port(), localinfra.free_port(), heap="512m"
        )
        self.pg = localinfra.PostgresNode(self.tmp / "pg" / "data", localinfra.free_port())
        self.faults = Faults(self.kafka, self.pg)

    def left(self) -> float:
        return max(1.0, self.deadline - time.monotonic())

    async def start(self) -> None:
        self.rx.start()
        await asyncio.to_thread(self.kafka.start)
        await asyncio.to_thread(self.pg.start)
        await ensure_topics(self.kafka.bootstrap)
        admin = await _fresh_database(self.pg.url)
        self.dbs = {s: await asyncio.to_thread(migrated, admin, s) for s in ("ingest", "health", "notifications")}
        quiet = {"LOG_LEVEL": "WARNING"}
        envs = {
            "ingest": ingest_env(self.dbs["ingest"], self.kafka.bootstrap, **quiet),
            "health": health_env(self.dbs["health"], self.kafka.bootstrap, COALESCE_MS="2000", MIN_DELTA="5", **quiet),
            "notifications": notifications_env(
                self.dbs["notifications"], self.kafka.bootstrap, localinfra.free_port(), **quiet
            ),
        }
        for name, env in envs.items():
            self.services[name] = ServiceProcess(name, env, self.tmp / f"{name}.log")
            await asyncio.to_thread(self.services[name].start, timeout=120)

    async def restart(self, name: str) -> None:
        self.faults.note(f"kill -9 {name}", self.t0)
        self.faults.kill9(self.services[name])
        if name == "health":
            self.dups.restarted()
        await asyncio.to_thread(self.services[name].start, timeout=120)

    async def inject(self, load: Load, key: str, alert_accounts: list[str]) -> None:
        """The faults, each once a share of the load is acknowledged."""

        async def at(share: float) -> None:
            await _until(lambda: load.acked_requests >= share * load.requests, f"{share:.0%} acked", self.left())

        await at(0.10)
        await self.restart("ingest")
        await at(0.25)
        await self.restart("health")
        await at(0.40)
        self.faults.note("SIGSTOP broker for 8 s, then SIGCONT", self.t0)
        await self.faults.pause_broker(8)
        await at(0.55)
        self.faults.note("PostgreSQL restarted in immediate mode", self.t0)
        await self.faults.restart_postgres_immediately()
        await at(0.70)
        self.faults.note(f"{len(alert_accounts)} champion-departed alerts fanned out", self.t0)
        await _champions_leave(self.services["ingest"], key, alert_accounts)
        await _until(lambda: len(self.rx.requests) >= len(alert_accounts) // 5, "fan-out under way", 120)
        self.faults.note(f"{len(self.rx.requests)} of {len(alert_accounts)} webhooks received", self.t0)
        await self.restart("notifications")
        await at(0.85)
        await self.restart("health")

    async def prove(self, load: Load, alert_accounts: list[str]) -> dict[str, Any]:
        """Sentinels: health has counted every account's last request, so every earlier record of its
        partition; notifications has no delivery left pending, so every re-send has happened."""
        await load.sentinels(self.deadline)
        await _until(lambda: _all_sentinels(self.dbs["health"].url, load), "every sentinel counted", self.left())
        notify_db = self.dbs["notifications"].url
        await _until(lambda: _nothing_pending(notify_db, alert_accounts), "no delivery pending", self.left())
        return tally(load, await _counted(self.dbs["health"].url, load.run)) | {
            "webhooks": await _webhooks(notify_db, self.rx, alert_accounts)
        }

    def stop(self) -> None:
        self.rx.stop()
        for svc in self.services.values():
            svc.stop()
        self.kafka.stop()
        if self.pg.proc is not None:
            self.pg.stop()


async def _scenario(tmp: Path, requests: int, accounts: int, alerts: int, timeout_s: float) -> dict[str, Any]:
    run = Run(tmp, time.monotonic() + timeout_s)
    stop = asyncio.Event()
    try:
        await run.start()
        ingest = run.services["ingest"]
        key = create_source(ingest.url, rate_limit_eps=1_000_000, burst=10_000_000).write_key
        alert_accounts = await _setup_fan_out(
            ingest, run.services["notifications"], run.dbs["notifications"].url, run.rx, key, alerts, run.id
        )
        load = Load(ingest.url, key, requests, accounts, run.id, datetime.now(UTC) - timedelta(minutes=1))
        scraper = asyncio.create_task(run.dups.scrape(run.services["health"], stop))
        senders = asyncio.create_task(load.run_senders(8, run.deadline))
        await run.inject(load, key, alert_accounts)
        await senders
        load_s = time.monotonic() - run.t0
        result = await run.prove(load, alert_accounts)
        stop.set()
        await scraper
        hooks = result["webhooks"]
        return result | {
            "redeliveries_observed_by_health": run.dups.total,
            "client_retries_by_reason": load.failures,
            "faults": run.faults.log,
            "load_s": round(load_s, 1),
            "elapsed_s": round(time.monotonic() - run.t0, 1),
            "accounts": accounts,
            "passed": result["lost"] == 0
            and result["double_counted"] == 0
            and hooks["alerts"] == len(alert_accounts)
            and hooks["min_received_per_alert"] >= 1
            and hooks["duplicates_with_another_webhook_id"] == 0,
        }
    finally:
        stop.set()
        run.stop()


def main(
    requests: int = typer.Option(10_000, help="requests of 100 usage events (10,000: a million events)"),
    accounts: int = 200,
    alerts: int = 800,
    timeout_s: float = typer.Option(1500, help="the whole run stops by itself after this long"),
) -> None:
    """Run the fault suite; figures to bench/results.json under "chaos"."""
    with tempfile.TemporaryDirectory(prefix="bw-chaos-") as tmp:
        result = asyncio.run(_scenario(Path(tmp), requests, accounts, alerts, timeout_s))
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "command": "make chaos"} | result
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["chaos"] = result
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    t = Table(title="Chaos run")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for k in (
        "events_sent",
        "events_acknowledged",
        "events_counted_by_health",
        "lost",
        "double_counted",
        "redeliveries_observed_by_health",
        "requests_sent_including_retries",
        "load_s",
        "elapsed_s",
    ):
        t.add_row(k, f"{result[k]:,}" if isinstance(result[k], int) else str(result[k]))
    for k, v in result["webhooks"].items():
        t.add_row(f"webhooks: {k}", str(v))
    t.add_row("client retries by reason", json.dumps(result["client_retries_by_reason"]))
    console.print(t)
    console.print(f"written to {RESULTS.name}; passed: {result['passed']}")
    if not result["passed"]:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)

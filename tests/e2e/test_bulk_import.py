"""Bulk import through the operator CLI against the real services: signals and contracts with their
rejected rows and reasons; historical usage interrupted and resumed, counted exactly once, not sent
again; score history rebuilt from it; and nobody alerted about the past (a key milestone missed years
ago arrives with its own time, and notifications lets it pass without an alert)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import typer
from typer.testing import CliRunner

from bellwether_shared import topics
from conftest import RENEWALS_KEYS, create_source, renewals_headers
from devkit.kafka import TopicTail, committed
from tests.support.gate import Gate
from tests.support.wait import eventually
from tools.import_rows import csv_text
from tools.importer import import_file

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


async def run_cli(*args: str) -> Any:
    """The import command in a thread of its own (it runs its own event loop)."""
    app = typer.Typer()
    app.command()(import_file)
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def rejected_rows(file: Path) -> list[dict[str, Any]]:
    path = file.with_name(file.name + ".rejected.jsonl")
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


async def test_signals_and_contracts_import_with_rejected_rows(ingest, renewals, tmp_path, run_id) -> None:
    src = create_source(ingest.url)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        csv_text(
            [
                {
                    "account_id": f"imp-a-{run_id}",
                    "name": "Acme",
                    "arr": "120000",
                    "tier": "mid",
                    "owners.csm": "cara",
                    "renewal_date": "2027-03-31",
                },
                {
                    "account_id": f"imp-b-{run_id}",
                    "name": "Bolt",
                    "arr": "lots",
                    "tier": "",
                    "owners.csm": "",
                    "renewal_date": "",
                },
                {
                    "account_id": f"imp-c-{run_id}",
                    "name": "Cogs",
                    "arr": "9000",
                    "tier": "",
                    "owners.csm": "",
                    "renewal_date": "2027-13-01",
                },
            ]
        )
    )
    deals = tmp_path / "deals.jsonl"
    deal = {
        "account_id": f"imp-a-{run_id}",
        "deal_id": f"D-{run_id}",
        "arr": 120000,
        "list_price": 150000,
        "term_months": 12,
        "qualification": {
            "problem_severity": 4,
            "expected_duration_months": 36,
            "buying_department_fit": True,
            "champion_fit": True,
            "technology_ready": True,
            "services_sold_hours": 10,
            "services_needed_hours": 10,
        },
    }
    deals.write_bytes(orjson.dumps(deal) + b"\n{not json\n" + orjson.dumps({**deal, "deal_id": ""}) + b"\n")
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(
        csv_text(
            [
                {
                    "contract_id": f"C-{run_id}",
                    "account_id": f"imp-a-{run_id}",
                    "start_date": "2026-01-01",
                    "term_months": "12",
                    "arr": "48000",
                    "products": '["core"]',
                },
                {
                    "contract_id": f"C2-{run_id}",
                    "account_id": f"imp-a-{run_id}",
                    "start_date": "someday",
                    "term_months": "12",
                    "arr": "1",
                    "products": "",
                },
            ]
        )
    )
    key = ["--write-key", src.write_key, "--url", ingest.url]
    done = await run_cli(str(accounts), "--kind", "accounts", *key)
    assert done.exit_code == 0, done.output
    assert [(r["line"], r["field"]) for r in rejected_rows(accounts)] == [(3, "arr"), (4, "renewal_date")]
    done = await run_cli(str(deals), "--kind", "deals", *key)
    assert done.exit_code == 0, done.output
    assert [r["line"] for r in rejected_rows(deals)] == [2, 3]
    assert "not JSON" in rejected_rows(deals)[0]["reason"] and rejected_rows(deals)[1]["field"] == "deal_id"
    token = RENEWALS_KEYS["admin"][1]
    done = await run_cli(str(contracts), "--kind", "contracts", "--api-key", token, "--url", renewals.url)
    assert done.exit_code == 0, done.output
    assert [(r["line"], r["field"]) for r in rejected_rows(contracts)] == [(3, "start_date")]
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{renewals.url}/v1/contracts/C-{run_id}", headers=renewals_headers("admin"))
        assert r.status_code == 200 and r.json()["arr"] == 48000 and r.json()["products"] == ["core"]
    again = await run_cli(str(accounts), "--kind", "accounts", *key)
    assert again.exit_code == 0 and "imported already" in again.output


def usage_rows(accounts: list[str], n: int, run_id: str) -> bytes:
    lines = []
    for i in range(n):
        at = NOW - timedelta(days=60) + timedelta(seconds=i * (59 * 86400 // n))
        lines.append(
            orjson.dumps(
                {
                    "user_id": f"u{i % 7}-{run_id}",
                    "account_id": accounts[i % len(accounts)],
                    "event": "Report Exported",
                    "timestamp": at.isoformat(),
                    "properties": {"format": "pdf"},
                }
            )
        )
    return b"\n".join(lines) + b"\n"


async def _usage_total(health_db: Any, accounts: list[str]) -> int:
    conn = await asyncpg.connect(health_db.admin_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT coalesce(sum(events), 0) FROM health.usage_daily WHERE account_id = ANY($1)", accounts
            )
        )
    finally:
        await conn.close()


async def test_usage_import_resumes_counts_once_rebuilds_history_and_alerts_nobody(
    ingest, health, notifications, health_db, notifications_db, kafka_bootstrap, api_headers, tmp_path, run_id
) -> None:
    src = create_source(ingest.url, rate_limit_eps=1_000_000, burst=1_000_000)
    accts = [f"hist-{run_id}-{i}" for i in range(2)]
    async with httpx.AsyncClient(timeout=30) as http:
        # a key milestone due 3,000 days after an onboarding of 2010: missed in 2018, learnt today
        milestone = {
            "key": f"imp-{run_id}",
            "name": "Never done",
            "event": f"Never Done {run_id}",
            "threshold": 1,
            "window_days": 30,
            "deadline_days": 3000,
            "is_key": True,
        }
        assert (await http.post(f"{health.url}/v1/milestones", json=milestone, headers=api_headers)).status_code == 201
        signals = [
            {
                "type": "account.upserted",
                "account_id": a,
                "name": a,
                "tier": "mid",
                "onboarding_started_at": "2010-01-01",
                "owners": {"csm": f"cara-{run_id}"},
            }
            for a in accts
        ]
        async with TopicTail(kafka_bootstrap, topics.HEALTH) as tail:
            r = await http.post(f"{ingest.url}/v1/signals", json={"batch": signals}, auth=(src.write_key, ""))
            assert r.json()["accepted"] == 2
            missed = await tail.collect(
                lambda rs: (
                    {
                        x.envelope.subject
                        for x in rs
                        if x.envelope.type.endswith("milestone_missed.v1")
                        and x.payload["milestone_key"] == f"imp-{run_id}"
                    }
                    >= set(accts)
                ),
                timeout=60,
            )

    # the past is announced with its own time, so notifications lets it pass: wait until it has read past it
    mine = [x for x in missed if x.envelope.type.endswith("milestone_missed.v1") and x.envelope.subject in accts]
    assert all(x.envelope.time < NOW - timedelta(days=365) for x in mine)
    group = notifications.env["CONSUMER_GROUP"]
    for x in mine:
        await eventually(
            partial(_past, kafka_bootstrap, group, x.partition, x.offset),
            timeout=60,
            what="notifications read the milestone events",
        )
    conn = await asyncpg.connect(notifications_db.admin_url)
    try:
        past = ["bellwether.health.milestone_missed.v1", "bellwether.health.onboarding_overdue.v1"]
        alerts = await conn.fetchval(
            "SELECT count(*) FROM notifications.alerts WHERE account_id = ANY($1) AND event_type = ANY($2)", accts, past
        )
        tasks = await conn.fetchval(
            "SELECT count(*) FROM notifications.tasks t JOIN notifications.rules r USING (rule_id) "
            "WHERE t.account_id = ANY($1) AND r.event_type = ANY($2)",
            accts,
            past,
        )
    finally:
        await conn.close()
    assert (alerts, tasks) == (0, 0), "nobody is alerted about a milestone missed in 2018"

    # historical usage: interrupted once, resumed, counted exactly once
    total = 12_000
    file = tmp_path / "usage.jsonl"
    file.write_bytes(usage_rows(accts, total, run_id))
    state = file.with_name(file.name + ".import-state")
    cmd = [
        sys.executable,
        "-m",
        "tools.devstack",
        "import",
        str(file),
        "--kind",
        "usage",
        "--write-key",
        src.write_key,
        "--batch",
        "100",
        "--parallel",
        "1",
    ]
    # interrupted at a point the test controls: a relay passes ten batches, then holds the eleventh
    async with Gate(ingest.url, open_for=10) as gate:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            "--url",
            gate.url,
            cwd=ROOT,
            env=os.environ | {"COLUMNS": "120"},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(gate.holding.wait(), 60)
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)
    part = orjson.loads(state.read_bytes())
    assert part["rows_done"] == 1000 and not part["finished"], part
    cmd += ["--url", ingest.url]
    resumed = await asyncio.create_subprocess_exec(
        *cmd, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(resumed.communicate(), 120)
    assert resumed.returncode == 0, out.decode()
    assert orjson.loads(state.read_bytes())["rows_done"] == total
    assert "done before (resumed)" in out.decode()
    await eventually(lambda: _equals(health_db, accts, total), timeout=90, what="every row counted in health")
    again = await run_cli(str(file), "--kind", "usage", "--write-key", src.write_key, "--url", ingest.url)
    assert again.exit_code == 0 and "imported already" in again.output
    # the sentinel: one live event after all of it; once it is counted, the total is exactly one more
    async with httpx.AsyncClient(timeout=30) as http:
        live = {"userId": "u-live", "event": "Live", "context": {"groupId": accts[0]}}
        assert (await http.post(f"{ingest.url}/v1/track", json=live, auth=(src.write_key, ""))).status_code == 200
        await eventually(lambda: _equals(health_db, accts, total + 1), timeout=60, what="the sentinel counted")

        # score history, rebuilt from the imported days (nothing announced)
        since = (NOW - timedelta(days=61)).date().isoformat()
        r = await http.post(
            f"{health.url}/v1/history/rebuild", json={"account_ids": accts, "since": since}, headers=api_headers
        )
        assert r.status_code == 200 and all(r.json()["scores_written"].get(a, 0) >= 1 for a in accts), r.text
        history = (await http.get(f"{health.url}/v1/accounts/{accts[0]}/health/history", headers=api_headers)).json()
    oldest = min(datetime.fromisoformat(h["computed_at"]) for h in history)
    assert oldest < NOW - timedelta(days=30), history[-3:]


async def _past(bootstrap: str, group: str, partition: int, offset: int) -> bool:
    return await committed(bootstrap, group, topics.HEALTH, partition) > offset


async def _equals(health_db: Any, accounts: list[str], expected: int) -> bool | None:
    got = await _usage_total(health_db, accounts)
    assert got <= expected, f"counted {got} of {expected}: a row was counted twice"
    return got == expected or None

"""Bulk import benchmark: a 1,000,000-row historical usage file (JSON Lines) through the operator CLI
(``devstack import --kind usage``) into a real ingest (two workers) on real Kafka, as an operator runs
it. Measures rows/s end to end (every row acknowledged by Kafka, acks=all), the CLI's and ingest's CPU
seconds and peak RSS, and checks that every row reached the topic."""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console

from bellwether_shared.topics import USAGE
from bench.kafka_perf import end_offsets
from bench.loadgen import Sampler
from devkit.services import ServiceProcess
from devkit.stack import ingest_env, migrated

ROOT = Path(__file__).resolve().parent.parent


def write_usage(path: Path, rows: int, accounts: int = 500, users: int = 20) -> int:
    """``rows`` usage rows over the last 90 days; returns the file's size in bytes."""
    start = datetime.now(UTC) - timedelta(days=90)
    step = 90 * 86400 / rows
    with path.open("wb") as f:
        for i in range(rows):
            a = i % accounts
            f.write(
                orjson.dumps(
                    {
                        "user_id": f"u{a}-{i % users}",
                        "account_id": f"bench-{a}",
                        "event": "Report Exported",
                        "timestamp": (start + timedelta(seconds=i * step)).isoformat(),
                        "properties": {"format": "pdf"},
                    }
                )
                + b"\n"
            )
    return path.stat().st_size


def _write_key(url: str, admin_token: str) -> str:
    body = {"name": "import", "rate_limit_eps": 1_000_000, "burst": 1_000_000}
    r = httpx.post(f"{url}/v1/sources", json=body, headers={"Authorization": f"Bearer {admin_token}"})
    key: str = r.json()["write_key"]
    return key


def _command(file: Path, key: str, url: str, batch: int, parallel: int) -> list[str]:
    """The operator CLI's import, as an operator runs it."""
    return [
        sys.executable,
        "-m",
        "tools.devstack",
        "import",
        str(file),
        "--kind",
        "usage",
        "--write-key",
        key,
        "--url",
        url,
        "--batch",
        str(batch),
        "--parallel",
        str(parallel),
    ]


async def _watch(cli: subprocess.Popen[bytes], svc_pid: int, started: float) -> tuple[float, float]:
    """The CLI's and ingest's peak memory while the import runs (bounded: 30 minutes)."""
    with Sampler(cli.pid) as c, Sampler(svc_pid) as s:
        while cli.poll() is None:
            await asyncio.sleep(0.1)
            if time.monotonic() - started > 1800:
                cli.kill()
                raise TimeoutError("import did not finish within 30 min")
        return c.peak_rss, s.peak_rss


def run_suite(
    ep: Any, tmp: Path, admin_db: str, *, rows: int = 1_000_000, batch: int = 1000, parallel: int = 4
) -> dict[str, Any]:
    db = migrated(admin_db, "ingest")
    svc = ServiceProcess(
        "ingest", ingest_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", HTTP_WORKERS="2"), tmp / "ingest-import.log"
    ).start()
    try:
        key = _write_key(svc.url, ingest_env(db, "")["ADMIN_TOKEN"])
        file = tmp / f"usage-{secrets.token_hex(3)}.jsonl"
        size = write_usage(file, rows)
        before = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE))
        cmd = _command(file, key, svc.url, batch, parallel)
        assert svc.proc is not None
        before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_cpu_before = before_children.ru_utime + before_children.ru_stime
        started = time.monotonic()
        cli = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ | {"TERM": "dumb"}
        )

        svc_pid = svc.proc.pid
        svc_cpu0 = Sampler(svc_pid).cpu_seconds()
        cli_rss, svc_rss = asyncio.run(_watch(cli, svc_pid, started))
        elapsed = time.monotonic() - started
        assert cli.returncode == 0, cli.stderr.read().decode() if cli.stderr else ""
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI, waited for
        landed = asyncio.run(end_offsets(ep.kafka_bootstrap, USAGE)) - before
        state = orjson.loads(file.with_name(file.name + ".import-state").read_bytes())
        return {
            "rows": rows,
            "file_bytes": size,
            "batch": batch,
            "parallel": parallel,
            "seconds": round(elapsed, 1),
            "rows_per_s": round(rows / elapsed),
            "accepted": state["accepted"],
            "rejected": state["rejected"],
            "records_on_kafka": landed,
            "cli_peak_rss_mb": round(cli_rss / 2**20, 1),
            "ingest_peak_rss_mb": round(svc_rss / 2**20, 1),
            "ingest_cpu_s": round(Sampler(svc_pid).cpu_seconds() - svc_cpu0, 1),
            "cli_cpu_s": round(children.ru_utime + children.ru_stime - cli_cpu_before, 1),
            "method": "python -m tools.devstack import FILE --kind usage (a subprocess) → ingest /v1/import "
            "(2 workers, acks=all) on the machine's one broker; rows/s over the whole run",
        }
    finally:
        svc.stop()


def print_results(r: dict[str, Any]) -> None:
    Console().print(
        f"import: {r['rows']:,} usage rows in {r['seconds']} s = {r['rows_per_s']:,} rows/s "
        f"({r['records_on_kafka']:,} records on Kafka; ingest peak {r['ingest_peak_rss_mb']} MB)"
    )

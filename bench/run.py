"""``make bench``: benchmarks against real Kafka and PostgreSQL; figures go to bench/results.json.

Bounded in count and time; each suite says what it measured and how. ``--suite ingest``,
``--suite health``, ``--suite renewals``, ``--suite notifications`` or ``--suite import`` runs one; the results file
keeps the other suites' last figures.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import typer
from rich.console import Console

from bench import (
    health as health_bench,
    importer as import_bench,
    ingest as ingest_bench,
    notifications as notifications_bench,
    pipeline as pipeline_bench,
    renewals as renewals_bench,
    rescore_curve,
)
from devkit.infra import Endpoints, provide

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
console = Console()


async def _fresh_database(admin_url: str) -> str:
    name = "bw_bench_" + secrets.token_hex(4)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


@dataclass(frozen=True)
class IngestLoad:
    events: int
    concurrency: int
    workers: int
    loadgen: str
    wrk_seconds: int
    kafka_perf: bool
    client: str


def _ingest(ep: Endpoints, tmp: Path, load: IngestLoad) -> dict[str, Any]:
    """The ingest suite, and how throughput grows with HTTP workers (the same load on one worker)."""

    def suite(workers: int, kafka_perf: bool, client: str = load.client) -> dict[str, Any]:
        db = asyncio.run(_fresh_database(ep.admin_database_url))
        return ingest_bench.run_suite(
            ep,
            tmp,
            db,
            events=load.events,
            concurrency=load.concurrency,
            workers=workers,
            loadgen=load.loadgen,
            wrk_seconds=load.wrk_seconds,
            kafka_perf=kafka_perf,
            client=client,
        )

    results = suite(load.workers, load.kafka_perf)
    other = "aiokafka" if load.client == "librdkafka" else "librdkafka"
    results["by_kafka_client"] = [  # the same load, side by side: the client the routes publish with
        ingest_bench.scaling_row(results["http_batch"]),
        ingest_bench.scaling_row(suite(load.workers, False, other)["http_batch"]),
    ]
    if load.workers > 1:
        one = suite(1, False)
        results["by_http_workers"] = [
            ingest_bench.scaling_row(one["http_batch"]),
            ingest_bench.scaling_row(results["http_batch"]),
        ]
    ingest_bench.print_results(results)
    return results


def main(
    suite: list[str] = typer.Option(
        ["ingest", "health", "pipeline", "rescore", "renewals", "notifications", "import"],
        help="ingest, health, pipeline, rescore, renewals, notifications and/or import",
    ),
    import_rows: int = 1_000_000,
    events: int = 200_000,
    concurrency: int = 16,
    workers: int = 2,
    loadgen: str = typer.Option("auto", help="wrk (C), python (httpx), or auto: wrk when installed"),
    wrk_seconds: int = 30,
    kafka_perf: bool = True,
    ingest_client: str = typer.Option("aiokafka", help="aiokafka or librdkafka: what ingest publishes with"),
    rescore_sizes: str = typer.Option("10000,100000,300000", help="accounts of each run of the rescore suite"),
) -> None:
    """Run the benchmarks and write bench/results.json."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    command = "make bench" + (f" BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else "")
    with tempfile.TemporaryDirectory(prefix="bw-bench-") as tmp, provide(Path(tmp)) as ep:
        from bellwether_shared.topics import ensure_topics

        asyncio.run(ensure_topics(ep.kafka_bootstrap))
        load = IngestLoad(events, concurrency, workers, loadgen, wrk_seconds, kafka_perf, ingest_client)
        stamp = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "command": command}
        if "ingest" in suite:
            results["ingest"] = stamp | _ingest(ep, Path(tmp), load)
        if "health" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            results["health"] = stamp | health_bench.run_suite(ep, Path(tmp), db, events=events)
            health_bench.print_results(results["health"])
        if "pipeline" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            results["pipeline"] = stamp | pipeline_bench.run_suite(ep, Path(tmp), db)
            pipeline_bench.print_results(results["pipeline"])
        if "renewals" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            results["renewals"] = stamp | renewals_bench.run_suite(ep, Path(tmp), db)
            renewals_bench.print_results(results["renewals"])
        if "notifications" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            results["notifications"] = stamp | notifications_bench.run_suite(ep, Path(tmp), db)
            notifications_bench.print_results(results["notifications"])
        if "import" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            results["import"] = stamp | import_bench.run_suite(ep, Path(tmp), db, rows=import_rows)
            import_bench.print_results(results["import"])
        # last: its 300,000-account database (4.5 M user-day rows) leaves PostgreSQL vacuuming and
        # checkpointing after it ends; in the one full run where it came before them, the renewals queries
        # were 4-7 times slower than before (a leaked process disturbed that run too, so not all of it)
        if "rescore" in suite:
            db = asyncio.run(_fresh_database(ep.admin_database_url))
            sizes = tuple(int(n) for n in rescore_sizes.split(","))
            results["rescore"] = stamp | rescore_curve.run_suite(ep, Path(tmp), db, sizes=sizes)
            rescore_curve.print_results(results["rescore"])
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)

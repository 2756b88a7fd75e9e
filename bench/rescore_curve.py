"""``make bench BENCH_ARGS='--suite rescore'``: how the health re-score's cost grows with the number of
accounts. One health process (as deployed: one re-score worker per process) re-scores 10,000, 100,000
and 300,000 accounts in turn, each seeded as the re-score benchmark does: ms per account at each size
(flat within 20 % is the target), the first scoring of never-scored accounts, and peak RSS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.explain import explain_batch
from bench.rescore_bench import rescore
from devkit.services import ServiceProcess
from devkit.stack import health_env, migrated
from health.settings import HealthSettings

SIZES = (10_000, 100_000, 300_000)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    n = r["accounts"]
    first = r["first_scoring_of_never_scored_accounts_s"]
    return {
        "accounts": n,
        "rescore_s": r["elapsed_s"],
        "rescore_ms_per_account": round(r["elapsed_s"] / n * 1000, 3),
        "first_scoring_s": first,
        "first_scoring_ms_per_account": round(first / n * 1000, 3),
        "peak_rss_mb": r["peak_rss_mb"],
        "complete": r["job_done"] == r["job_total"] == n,
    }


def run_suite(ep: Any, tmp: Path, admin_db: str, *, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    db = migrated(admin_db, "health")
    env = health_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", MIN_DELTA="0")
    settings = HealthSettings.model_validate({k.lower(): v for k, v in env.items() if k != "API_KEYS"})
    health = ServiceProcess("health", env, tmp / "health-rescore.log").start()  # stopped below, whatever happens
    runs, plans = [], []
    try:
        for n in sizes:
            runs.append(_row(asyncio.run(rescore(health, db.url, n))))
            batch = [f"rs-{i}" for i in range(n - settings.recompute_batch, n)]
            plans.append(explain_batch(db.url, accounts=batch, settings=settings, size=n))
    finally:
        health.stop()
    per = [r["rescore_ms_per_account"] for r in runs]
    first = [r["first_scoring_ms_per_account"] for r in runs]
    return {
        "runs": runs,
        "rescore_ms_per_account_spread": round(max(per) / min(per), 2),
        "one_batch_explained": plans,
        "first_scoring_ms_per_account_spread": round(max(first) / min(first), 2),
        "targets": {
            "spread": "at most 1.2 (ms per account flat within 20 % from 10k to 300k)",
            "rescore_100k_s": 20,
            "first_scoring_100k_s": 30,
            "peak_rss_mb": 250,
        },
        "how": "one health process, one re-score worker; a scorecard change re-scores accounts seeded straight "
        "into health's tables (20 seats, 3 active users on every 4th day of the last 20); the first pass scores "
        "them for the first time (each announces its baseline)",
    }


def print_results(r: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Health re-score by accounts")
    for col in ("accounts", "re-score s", "ms/account", "first scoring s", "ms/account", "peak RSS MB"):
        t.add_column(col, justify="right")
    for x in r["runs"]:
        t.add_row(
            f"{x['accounts']:,}",
            str(x["rescore_s"]),
            str(x["rescore_ms_per_account"]),
            str(x["first_scoring_s"]),
            str(x["first_scoring_ms_per_account"]),
            str(x["peak_rss_mb"]),
        )
    Console().print(t)
    Console().print(
        f"spread of ms per account: re-score {r['rescore_ms_per_account_spread']}, "
        f"first scoring {r['first_scoring_ms_per_account_spread']} (target ≤ 1.2)"
    )
    for p in r.get("one_batch_explained", []):
        Console().print(
            f"{p['accounts_in_health']:,} accounts: one batch of {p['batch']}: {p['statements']} statements, "
            f"reads {p['reads_ms']} ms, writes {p['writes_ms']} ms; sequential scans on {p['seq_scans_on'] or 'none'} "
            f"(plans: {p['plans']})"
        )

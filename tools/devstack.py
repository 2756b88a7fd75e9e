"""Development stack and operator commands: ``python -m tools.devstack migrate|up|down|status|demo|report|
kafka-acls|dlq|plan|import|monitoring|crds|containers|compose|kube`` (the Makefile calls it).

Services run in the background on fixed loopback ports, with logs and pid files in ``.local/run``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import typer
from rich.console import Console
from rich.table import Table

from bellwether_shared.migrate import migrate, service_url
from bellwether_shared.topics import ensure_topics
from devkit.infra import localinfra
from tools.compose import app as compose_cli
from tools.containers import app as containers_cli
from tools.crds import fetch as fetch_crds
from tools.dlq import app as dlq_cli
from tools.importer import import_file
from tools.kube import app as kube_cli
from tools.monitoring import cli as monitoring_cli
from tools.plans import app as plan_cli

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".local" / "run"
console = Console()
cli = typer.Typer(add_completion=False, help=__doc__)
cli.add_typer(dlq_cli, name="dlq")
cli.add_typer(plan_cli, name="plan")
cli.command("import")(import_file)
cli.add_typer(monitoring_cli, name="monitoring")
cli.add_typer(containers_cli, name="containers")
cli.add_typer(compose_cli, name="compose")
cli.add_typer(kube_cli, name="kube")
cli.command("crds")(fetch_crds)

DEV_ADMIN_TOKEN = os.environ.get("ADMIN_TOKEN", "dev-admin-token-change-me")
DATABASE = "bellwether"


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    migrations: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def password(self) -> str:
        return os.environ.get(f"{self.name.upper()}_DB_PASSWORD", f"{self.name}-dev-password")


SERVICES = [
    Service("ingest", int(os.environ.get("INGEST_PORT", "8081"))),
    Service("health", int(os.environ.get("HEALTH_PORT", "8082"))),
    Service("renewals", int(os.environ.get("RENEWALS_PORT", "8083"))),
    Service("notifications", int(os.environ.get("NOTIFICATIONS_PORT", "8084"))),
    Service("accounts", int(os.environ.get("ACCOUNTS_PORT", "8085"))),
]
# renewals' API keys by role (the service is given their SHA-256 only); the admin one is the dev token
DEV_RENEWALS_KEYS = {
    "admin": ("admin@dev", DEV_ADMIN_TOKEN),
    "vp_cs": ("vp@dev", os.environ.get("DEV_VP_TOKEN", "dev-vp-token-change-me")),
    "csm": ("csm@dev", os.environ.get("DEV_CSM_TOKEN", "dev-csm-token-change-me")),
}


def _renewals_keys() -> str:
    import hashlib

    return json.dumps(
        [
            {"actor": actor, "role": role, "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
            for role, (actor, token) in DEV_RENEWALS_KEYS.items()
        ]
    )


def _admin_url() -> str:
    parts = urlsplit(str(localinfra.dev_postgres().url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + DATABASE, "", ""))


def _service_env(svc: Service) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": localinfra.dev_kafka().bootstrap,
        "DATABASE_URL": service_url(_admin_url(), role=svc.name, password=svc.password),
        "HTTP_PORT": str(svc.port),
        "ADMIN_TOKEN": DEV_ADMIN_TOKEN,  # ingest's admin API
        "API_TOKEN": DEV_ADMIN_TOKEN,  # health's, notifications' and accounts' APIs
        "API_KEYS": _renewals_keys(),  # every service: admin, vp_cs and csm development keys (roles)
        # notifications (channel secrets) and ingest (signing secrets)
        "SECRETS_KEY": os.environ.get("SECRETS_KEY", "dev-secrets-key-change-me-0123456789abcdef"),
        # the demo's webhook receiver listens on loopback: allowed here, never by default
        "ALLOW_NETWORKS": os.environ.get("ALLOW_NETWORKS", '["127.0.0.0/8"]'),
        "SMTP_PORT": os.environ.get("SMTP_PORT", "2525"),
        "ENVIRONMENT": "dev",
    }


async def _migrate_all() -> None:
    conn = await asyncpg.connect(localinfra.dev_postgres().url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    created = await ensure_topics(localinfra.dev_kafka().bootstrap)
    console.print(f"topics: {len(created)} created")
    for svc in SERVICES:
        applied = await migrate(_admin_url(), service=svc.name, role=svc.name, role_password=svc.password)
        console.print(f"{svc.name}: {len(applied)} migration(s) applied")


@cli.command("kafka-acls")
def kafka_acls_cmd() -> None:
    """Write the prod overlay's Kafka users and client settings from the topic registry."""
    from tools import kafka_acls

    for path in kafka_acls.write():
        console.print(f"wrote {path.relative_to(ROOT)}")


@cli.command("migrate")
def migrate_cmd() -> None:
    """Create the database and topics, apply every service's migrations."""
    asyncio.run(_migrate_all())


def _pid(svc: Service) -> int | None:
    try:
        pid = int((RUN / f"{svc.name}.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def _ready(svc: Service) -> bool:
    try:
        return httpx.get(svc.url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@cli.command()
def up(timeout: float = 60.0) -> None:
    """Start every service in the background; return once all are ready."""
    RUN.mkdir(parents=True, exist_ok=True)
    for svc in SERVICES:
        if _pid(svc):
            continue
        log = (RUN / f"{svc.name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", svc.name],
            env={**os.environ, **_service_env(svc)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        (RUN / f"{svc.name}.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    for svc in SERVICES:
        while not _ready(svc):
            if time.monotonic() > deadline or _pid(svc) is None:
                console.print(f"[red]{svc.name} did not become ready; see {RUN / (svc.name + '.log')}")
                raise typer.Exit(1)
            time.sleep(0.2)
    status()
    console.print(
        f"\nDevelopment token (ingest admin, health, renewals admin, notifications): [bold]{DEV_ADMIN_TOKEN}[/]"
        "  (Authorization: Bearer ...)"
    )
    console.print(
        f"Renewals also knows {DEV_RENEWALS_KEYS['vp_cs'][1]} (VP of CS) and {DEV_RENEWALS_KEYS['csm'][1]} (CSM)."
    )
    console.print("Stop everything with [bold]make down[/].")


@cli.command()
def down() -> None:
    """Stop the services (SIGTERM: in-flight work finishes)."""
    for svc in SERVICES:
        pid = _pid(svc)
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _pid(svc) and time.monotonic() < deadline:
                time.sleep(0.1)
        (RUN / f"{svc.name}.pid").unlink(missing_ok=True)
    console.print("services stopped")


@cli.command()
def status() -> None:
    """Show what is running and where."""
    table = Table(title="Bellwether (development)")
    for col in ("component", "where", "state", "look at"):
        table.add_column(col)
    kafka, pg = localinfra.dev_kafka(), localinfra.dev_postgres()
    table.add_row("Kafka", kafka.bootstrap, "up" if localinfra.port_open(kafka.port) else "down", str(kafka.log_file))
    table.add_row(
        "PostgreSQL",
        f"127.0.0.1:{pg.port}/{DATABASE}",
        "up" if localinfra.port_open(pg.port) else "down",
        str(pg.log_file),
    )
    for svc in SERVICES:
        state = "ready" if _ready(svc) else ("starting" if _pid(svc) else "down")
        table.add_row(svc.name, svc.url, state, f"{svc.url}/docs  {RUN / (svc.name + '.log')}")
    console.print(table)


@cli.command()
def demo(accounts: int = 5, users_per_account: int = 4, days: int = 7) -> None:
    """Realistic traffic through the real client library, in two rounds; shows it on Kafka and the
    health scores moving between the rounds."""
    from tools.demo import run_demo

    ingest, health, renewals, notify, account_view = SERVICES
    asyncio.run(
        run_demo(
            ingest.url,
            health.url,
            renewals.url,
            notify.url,
            account_view.url,
            DEV_ADMIN_TOKEN,
            localinfra.dev_kafka().bootstrap,
            RUN,
            accounts=accounts,
            users_per_account=users_per_account,
            days=days,
        )
    )
    console.print(
        json.dumps(
            {
                "ingest docs": f"{ingest.url}/docs",
                "rejected events": f"{ingest.url}/v1/rejected",
                "health docs": f"{health.url}/docs",
                "accounts by score": f"{health.url}/v1/accounts?sort=score",
                "renewals docs": f"{renewals.url}/docs",
                "renewals at risk": f"{renewals.url}/v1/opportunities?at_risk=true",
                "forecast": f"{renewals.url}/v1/forecast",
                "books": f"{renewals.url}/v1/books",
                "notifications docs": f"{notify.url}/docs",
                "alerts and why": f"{notify.url}/v1/alerts",
                "accounts docs": f"{account_view.url}/docs",
                "a CSM's book": f"{account_view.url}/v1/accounts?owner=csm_0",
                "attention queue": f"{renewals.url}/v1/attention?owner_id=csm_0",
                "metrics": [f"{s.url}/metrics" for s in SERVICES],
                "token": DEV_ADMIN_TOKEN,
            },
            indent=2,
        )
    )


@cli.command()
def report(
    period: Annotated[str, typer.Option(help="a quarter, e.g. 2026-Q4 (default: this one)")] = "",
    out: Annotated[Path, typer.Option(help="the HTML page to write")] = Path("report.html"),
    min_risk_arr: Annotated[float, typer.Option(help="at-risk accounts from this ARR")] = 50_000,
    url: Annotated[str, typer.Option(envvar="ACCOUNTS_URL", help="the accounts service")] = SERVICES[4].url,
    token: Annotated[str, typer.Option(envvar="ACCOUNTS_TOKEN", help="an API key of it")] = DEV_ADMIN_TOKEN,
) -> None:
    """The executive report of a quarter (retention, ARR by colour, forecast, time to value, champions,
    at-risk accounts) as one self-contained HTML page, fetched from the accounts service."""
    from tools import report as rep

    period = period or rep.this_quarter()
    try:
        doc = asyncio.run(rep.write(url=url, token=token, period=period, out=out, min_risk_arr=min_risk_arr))
    except httpx.HTTPStatusError as exc:
        console.print(f"[red]{exc.response.status_code}[/red] {exc.response.text}")
        raise typer.Exit(1) from None
    rep.show(console, doc, out)


if __name__ == "__main__":
    cli()

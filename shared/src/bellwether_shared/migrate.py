"""One-shot migrations: ``python -m bellwether_shared.migrate ingest`` (a Job, never app start-up).

Creates the service's schema (and, given a password, its own login role owning that schema),
then applies the shared migrations (outbox, inbox) and the service's own ``migrations/*.sql`` in
name order, each in a transaction, recorded with a checksum in ``<schema>.schema_migrations``.
An applied file that changed is an error: write a new migration instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import os
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
import typer
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from bellwether_shared.retry import transient

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise MigrationError(f"'{name}' is not a valid identifier (lower case, digits, underscore)")
    return f'"{name}"'


def _load(package: str, prefix: str) -> list[Migration]:
    folder = resources.files(importlib.import_module(package)) / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [Migration(f"{prefix}/{f.name}", f.read_text()) for f in files]


def migrations_for(service: str) -> list[Migration]:
    return _load("bellwether_shared", "shared") + _load(service, service)


async def _connect(database_url: str, wait_s: float) -> asyncpg.Connection:
    """A connection, waiting up to ``wait_s`` for a server that is not up yet (started beside this
    step, as compose and Kubernetes do): refused connections and "starting up" are retried, a wrong
    password or a missing database are not."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(transient),
        stop=stop_after_delay(wait_s),
        wait=wait_exponential_jitter(multiplier=0.2, max=2, jitter=0.2),
        reraise=True,
    ):
        with attempt:
            conn: asyncpg.Connection = await asyncpg.connect(database_url)
    return conn


async def migrate(
    database_url: str,
    *,
    service: str,
    schema: str | None = None,
    role: str | None = None,
    role_password: str | None = None,
    wait_s: float = 0.0,
) -> list[str]:
    """Apply what is missing; returns the names applied now. Safe to run concurrently."""
    schema = schema or service
    q_schema = _ident(schema)
    conn = await _connect(database_url, wait_s)
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"bellwether-migrate:{schema}")
        if role:
            q_role = _ident(role)
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await conn.execute(f"CREATE ROLE {q_role} LOGIN")
            if role_password:
                # server-side quoting: the password is never spliced into SQL by us
                stmt = await conn.fetchval(
                    "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", role, role_password
                )
                await conn.execute(stmt)
            if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
                await conn.execute(f"GRANT {q_role} TO CURRENT_USER")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q_schema} AUTHORIZATION {q_role}")
        else:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q_schema}")
        set_role = f"SET LOCAL ROLE {_ident(role)}" if role else "SELECT 1"
        async with conn.transaction():
            await conn.execute(set_role)
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {q_schema}.schema_migrations ("
                "name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        applied = {
            r["name"]: r["checksum"]
            for r in await conn.fetch(f"SELECT name, checksum FROM {q_schema}.schema_migrations")
        }
        done: list[str] = []
        for m in migrations_for(service):
            if m.name in applied:
                if applied[m.name] != m.checksum:
                    raise MigrationError(f"{m.name} was changed after it was applied; add a new migration")
                continue
            async with conn.transaction():
                await conn.execute(set_role)
                await conn.execute(f"SET LOCAL search_path = {q_schema}")
                await conn.execute(m.sql)
                await conn.execute(
                    f"INSERT INTO {q_schema}.schema_migrations (name, checksum) VALUES ($1, $2)", m.name, m.checksum
                )
            done.append(m.name)
        return done
    finally:
        await conn.close()


def service_url(admin_url: str, *, role: str, password: str) -> str:
    """The service's own connection URL, derived from the admin URL (same host, port, database)."""
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role)}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command()
def main(
    service: str = typer.Argument(..., help="service package, e.g. ingest"),
    database_url: str = typer.Option(
        None,
        envvar=["MIGRATIONS_DATABASE_URL", "DATABASE_URL"],
        help="URL of a role allowed to create schemas and roles",
    ),
    schema: str = typer.Option(None, envvar="DB_SCHEMA", help="default: the service name"),
    role: str = typer.Option(None, envvar="SERVICE_DB_ROLE", help="the service's own login role"),
    role_password: str = typer.Option(None, envvar="SERVICE_DB_PASSWORD", help="its password"),
    wait_s: float = typer.Option(
        60.0, "--wait", envvar="MIGRATIONS_WAIT_S", help="seconds to wait for a database that is not up yet"
    ),
) -> None:
    if not database_url:
        raise typer.BadParameter("set MIGRATIONS_DATABASE_URL or DATABASE_URL", param_hint="--database-url")
    try:
        applied = asyncio.run(
            migrate(database_url, service=service, schema=schema, role=role, role_password=role_password, wait_s=wait_s)
        )
    except (MigrationError, OSError, asyncpg.PostgresError) as exc:
        typer.echo(f"migration failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{service}: applied {len(applied)} migration(s)" + "".join(f"\n  {n}" for n in applied))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    cli()

__all__ = ["Migration", "MigrationError", "migrate", "migrations_for", "service_url"]

"""Notifications' persistence for projections, people, rules, destinations and subscriptions:
keyword-only async functions taking a connection. SQL is parameterised."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any

import asyncpg

from bellwether_shared.events import ingest as iev
from bellwether_shared.projection import Latest, upsert
from bellwether_shared.uow import UnitOfWork, within
from notifications.schemas import PersonIn, RuleIn
from notifications.settings import SOURCE


def unit(conn: asyncpg.Connection, *, now: datetime | None = None) -> AbstractAsyncContextManager[UnitOfWork]:
    """Notifications' unit of work on an open transaction (its events: alerts raised, tasks opened and
    closed); it keeps no audit trail of its own (tasks keep theirs in task_audit)."""
    return within(conn, source=SOURCE, now=now)


OWNER_ROLES = ("csm", "ae", "renewal_owner")


ACCOUNTS = Latest(
    "accounts",
    key=("account_id",),
    at="upserted_at",
    keep=frozenset({"name", "tier", "arr", "renewal_date", "csm", "ae", "renewal_owner", "exposure"})
    | {"growth_potential", "engagement_preference", "engagement_model"},
    also=(("updated_at", "now()"),),
)


async def upsert_account(conn: asyncpg.Connection, *, e: iev.AccountUpserted, at: datetime) -> None:
    owners = e.owners or iev.Owners()
    row: dict[str, Any] = {"account_id": e.account_id, "name": e.name, "tier": e.tier, "arr": e.arr}
    row |= {"renewal_date": e.renewal_date, "csm": owners.csm, "ae": owners.ae, "renewal_owner": owners.renewal_owner}
    row |= {"growth_potential": e.growth_potential, "engagement_preference": e.engagement_preference}
    row |= {"engagement_model": e.engagement_model}
    await upsert(conn, ACCOUNTS, row | {"upserted_at": at, "exposure": e.exposure})


async def set_owner(conn: asyncpg.Connection, *, account_id: str, role: str, owner_id: str | None) -> None:
    if role not in OWNER_ROLES:
        return
    await conn.execute("INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING", account_id)
    await conn.execute(
        f"UPDATE accounts SET {role} = $2, updated_at = now() WHERE account_id = $1", account_id, owner_id
    )


async def set_health(
    conn: asyncpg.Connection,
    *,
    account_id: str,
    colour: str,
    score: float | None,
    trend: str | None = None,
    sufficient: bool | None = None,
) -> None:
    """``trend``: the direction of a score change, ``sufficient``: whether the score rests on enough data
    (None leaves the last one: a colour event says neither)."""
    await conn.execute(
        """INSERT INTO accounts (account_id, colour, score, score_trend, score_sufficient) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (account_id) DO UPDATE SET colour = excluded.colour,
             score = coalesce(excluded.score, accounts.score),
             score_trend = coalesce(excluded.score_trend, accounts.score_trend),
             score_sufficient = coalesce(excluded.score_sufficient, accounts.score_sufficient), updated_at = now()""",
        account_id,
        colour,
        score,
        trend,
        sufficient,
    )


async def set_risk(
    conn: asyncpg.Connection, *, account_id: str, level: str, reasons: Sequence[tuple[float, str]], at: datetime
) -> None:
    """The account's renewal risk as last assessed (an older assessment delivered late changes nothing)."""
    await conn.execute(
        """INSERT INTO accounts (account_id, risk_level, risk_reasons, risk_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (account_id) DO UPDATE SET risk_level = excluded.risk_level,
             risk_reasons = excluded.risk_reasons, risk_at = excluded.risk_at, updated_at = now()
           WHERE accounts.risk_at IS NULL OR accounts.risk_at <= excluded.risk_at""",
        account_id,
        level,
        [{"points": points, "text": text} for points, text in reasons],
        at,
    )


async def set_renewal_date(conn: asyncpg.Connection, *, account_id: str, renewal_date: date) -> None:
    """The nearest upcoming renewal wins."""
    await conn.execute(
        """INSERT INTO accounts (account_id, renewal_date) VALUES ($1, $2)
           ON CONFLICT (account_id) DO UPDATE SET renewal_date = CASE
             WHEN accounts.renewal_date IS NULL OR accounts.renewal_date < current_date
               OR excluded.renewal_date < accounts.renewal_date THEN excluded.renewal_date
             ELSE accounts.renewal_date END, updated_at = now()""",
        account_id,
        renewal_date,
    )


async def account_facts(conn: asyncpg.Connection, *, account_id: str, today: date) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM accounts WHERE account_id = $1", account_id)
    vps = [r[0] for r in await conn.fetch("SELECT person_id FROM people WHERE role = 'vp' ORDER BY person_id")]
    facts: dict[str, Any] = {"account_id": account_id, "owners": {"vp": vps}}
    if row is not None:
        facts.update(
            name=row["name"],
            tier=row["tier"],
            exposure=row["exposure"],
            arr=float(row["arr"]) if row["arr"] is not None else None,
            colour=row["colour"],
            score=row["score"],
            renewal_date=str(row["renewal_date"]) if row["renewal_date"] else None,
            days_to_renewal=(row["renewal_date"] - today).days if row["renewal_date"] else None,
            growth_potential=row["growth_potential"],
            engagement_preference=row["engagement_preference"],
            engagement_model=row["engagement_model"],
        )
        facts["owners"].update({r: row[r] for r in OWNER_ROLES if row[r]})
    return facts


# ----------------------------------------------------------------------------- rules and people

RULE_COLUMNS = """rule_id, name, event_type, conditions, severity, recipient_roles, recipient_people, dedupe_window_s,
    key_fields, enabled, builtin, updated_at, playbook_id"""


async def rules_for(conn: asyncpg.Connection, *, event_type: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {RULE_COLUMNS} FROM rules WHERE event_type = $1 AND enabled ORDER BY rule_id", event_type
    )
    return rows


async def rule_event_types(conn: asyncpg.Connection) -> set[str]:
    return {r[0] for r in await conn.fetch("SELECT DISTINCT event_type FROM rules WHERE enabled")}


async def list_rules(conn: asyncpg.Connection, *, limit: int = 1000, offset: int = 0) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {RULE_COLUMNS} FROM rules ORDER BY rule_id LIMIT $1 OFFSET $2", limit, offset
    )
    return rows


async def get_rule(conn: asyncpg.Connection, *, rule_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {RULE_COLUMNS} FROM rules WHERE rule_id = $1", rule_id)


async def put_rule(conn: asyncpg.Connection, *, rule_id: str, rule: RuleIn) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO rules (rule_id, name, event_type, conditions, severity, recipient_roles, recipient_people,
                               dedupe_window_s, key_fields, enabled, playbook_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (rule_id) DO UPDATE SET name = excluded.name, event_type = excluded.event_type,
              conditions = excluded.conditions, severity = excluded.severity,
              recipient_roles = excluded.recipient_roles, recipient_people = excluded.recipient_people,
              dedupe_window_s = excluded.dedupe_window_s, key_fields = excluded.key_fields,
              enabled = excluded.enabled, playbook_id = excluded.playbook_id, updated_at = now()
            RETURNING {RULE_COLUMNS}""",
        rule_id,
        rule.name,
        rule.event_type,
        [c.model_dump() for c in rule.conditions],
        rule.severity,
        rule.recipient_roles,
        rule.recipient_people,
        rule.dedupe_window_s,
        rule.key_fields,
        rule.enabled,
        rule.playbook_id,
    )
    return row


async def delete_rule(conn: asyncpg.Connection, *, rule_id: str) -> bool:
    status: str = await conn.execute("DELETE FROM rules WHERE rule_id = $1", rule_id)
    return status.endswith(" 1")


PERSON_COLUMNS = "person_id, name, email, role, digest, digest_at_or_below, throttle_per_hour, created_at"


async def put_person(conn: asyncpg.Connection, *, person_id: str, person: PersonIn) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO people (person_id, name, email, role, digest, digest_at_or_below, throttle_per_hour)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role,
              digest = excluded.digest, digest_at_or_below = excluded.digest_at_or_below,
              throttle_per_hour = excluded.throttle_per_hour
            RETURNING {PERSON_COLUMNS}""",
        person_id,
        person.name,
        person.email,
        person.role,
        person.digest,
        person.digest_at_or_below,
        person.throttle_per_hour,
    )
    return row


async def get_person(conn: asyncpg.Connection, *, person_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PERSON_COLUMNS} FROM people WHERE person_id = $1", person_id)


async def list_people(conn: asyncpg.Connection, *, limit: int = 1000, offset: int = 0) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {PERSON_COLUMNS} FROM people ORDER BY person_id LIMIT $1 OFFSET $2", limit, offset
    )
    return rows

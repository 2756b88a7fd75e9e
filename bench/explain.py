"""What one re-score batch asks PostgreSQL, and how each statement is planned at the current size.

A batch of accounts is re-scored by health's own ``recompute`` on a recording connection inside a
transaction that is rolled back: every statement it runs is kept with its time. Each read is then run
again under ``EXPLAIN (ANALYZE, BUFFERS)`` (also rolled back). The plans go to a text file beside the
profiles; the summary (time per statement, sequential scans and the tables they read) goes to
bench/results.json, so a re-score curve that is not flat can be traced to the statement that grows.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bellwether_shared.db import connect
from bellwether_shared.envelope import utcnow

PROFILES = Path(__file__).resolve().parent / "profiles"


@dataclass
class Statement:
    sql: str
    args: tuple[Any, ...]
    ms: float
    rows: int


@dataclass
class Recorder:
    """A connection that records what it is asked (the repositories only call these methods)."""

    conn: asyncpg.Connection
    calls: list[Statement] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def _timed(self, method: str, sql: str, args: tuple[Any, ...]) -> Any:
        t0 = time.perf_counter()
        out = await getattr(self.conn, method)(sql, *args)
        rows = len(out) if isinstance(out, list) else 1
        self.calls.append(Statement(sql, args, (time.perf_counter() - t0) * 1000, rows))
        return out

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await self._timed("fetch", sql, args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._timed("fetchrow", sql, args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._timed("fetchval", sql, args)

    async def execute(self, sql: str, *args: Any) -> Any:
        return await self._timed("execute", sql, args)

    async def executemany(self, sql: str, args: Any) -> Any:
        return await self._timed("executemany", sql, (list(args),))


class _RolledBack(Exception):
    pass


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out.extend(_nodes(child))
    return out


_ID_LIST = re.compile(r"'\{([^}]{120,})\}'")


def _compact(plan: str) -> str:
    """A plan's literal id lists shortened to their count (a batch is hundreds of ids)."""
    return _ID_LIST.sub(lambda m: f"'{{… {m.group(1).count(',') + 1} ids}}'", plan)


def _first_line(sql: str) -> str:
    return " ".join(sql.split())[:110]


async def _record(conn: asyncpg.Connection, accounts: list[str], settings: Any) -> list[Statement]:
    from health import repository
    from health.recompute import recompute

    rec = Recorder(conn)
    try:
        async with conn.transaction():
            async with repository.unit(rec, now=utcnow()) as uow:  # type: ignore[arg-type]
                await recompute(uow, claimed=[(a, None) for a in accounts], settings=settings)
            raise _RolledBack
    except _RolledBack:
        pass
    return rec.calls


async def _explain(conn: asyncpg.Connection, st: Statement) -> dict[str, Any]:
    try:
        async with conn.transaction():
            raw = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + st.sql, *st.args)
            text = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + st.sql, *st.args)
            raise _RolledBack(raw, "\n".join(r[0] for r in text))
    except _RolledBack as done:
        raw, text = done.args
    import orjson

    doc = orjson.loads(raw)[0] if isinstance(raw, str) else raw[0]
    seq = sorted({n["Relation Name"] for n in _nodes(doc["Plan"]) if n["Node Type"] == "Seq Scan"})
    return {
        "statement": _first_line(st.sql),
        "ms_in_rescore": round(st.ms, 2),
        "rows": st.rows,
        "execution_ms": round(doc["Execution Time"], 2),
        "shared_blocks_read_or_hit": doc["Plan"].get("Shared Hit Blocks", 0) + doc["Plan"].get("Shared Read Blocks", 0),
        "seq_scans_on": seq,
        "plan": _compact(text),
    }


def _reads(calls: list[Statement]) -> list[Statement]:
    return [c for c in calls if c.sql.lstrip().upper().startswith(("SELECT", "WITH"))]


async def _planned(db_url: str, accounts: list[str], settings: Any) -> tuple[list[Statement], list[dict[str, Any]]]:
    conn = await connect(db_url, schema="health")
    try:
        calls = await _record(conn, accounts, settings)
        return calls, [await _explain(conn, st) for st in _reads(calls)]
    finally:
        await conn.close()


def explain_batch(
    db_url: str, *, accounts: list[str], settings: Any, size: int, out_dir: Path = PROFILES
) -> dict[str, Any]:
    """Record one batch's statements and EXPLAIN its reads; plans to ``bench/profiles/rescore_explain_<size>.txt``."""
    calls, plans = asyncio.run(_planned(db_url, accounts, settings))
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"rescore_explain_{size}.txt"
    out.write_text(
        f"EXPLAIN (ANALYZE, BUFFERS) of the reads of one re-score batch of {len(accounts)} accounts, "
        f"{size:,} accounts in health\n\n" + "\n\n".join(f"-- {p['statement']}\n{p['plan']}" for p in plans) + "\n"
    )
    total = sum(c.ms for c in calls)
    reads = sum(p["ms_in_rescore"] for p in plans)
    return {
        "accounts_in_health": size,
        "batch": len(accounts),
        "statements": len(calls),
        "statements_ms": round(total, 1),
        "reads_ms": round(reads, 1),
        "writes_ms": round(total - reads, 1),
        "seq_scans_on": sorted({t for p in plans for t in p["seq_scans_on"]}),
        "reads": [{k: v for k, v in p.items() if k != "plan"} for p in plans],
        "plans": str(out.relative_to(PROFILES.parent.parent)) if out.is_relative_to(PROFILES) else str(out),
    }

"""What a chaos run proves, read from the services' databases and the receiver: health counted each request
once, every sentinel arrived, no delivery is left pending, and every webhook arrived (re-sent ones with the
same id)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from bellwether_shared.db import connect
from bench.chaos_load import Load
from devkit.receiver import Receiver


async def _counted(health_db: str, run: str) -> dict[str, int]:
    conn = await connect(health_db, schema="health")
    try:
        rows = await conn.fetch(
            "SELECT event, sum(events)::bigint AS n FROM usage_daily WHERE account_id LIKE $1 GROUP BY event",
            f"chaos-{run}-%",
        )
    finally:
        await conn.close()
    return {r["event"]: int(r["n"]) for r in rows}


async def _webhooks(notify_db: str, rx: Receiver, accounts: list[str]) -> dict[str, Any]:
    conn = await connect(notify_db, schema="notifications")
    try:
        attempts = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE d.attempts > 1) AS more_than_once, max(d.attempts) AS most,
                      count(*) FILTER (WHERE d.status = 'succeeded') AS succeeded
               FROM deliveries d JOIN alerts a USING (alert_id) WHERE a.account_id = ANY($1)""",
            accounts,
        )
        expected = {
            r["alert_id"]
            for r in await conn.fetch(
                "SELECT DISTINCT d.alert_id FROM deliveries d JOIN alerts a USING (alert_id)"
                " WHERE a.account_id = ANY($1)",
                accounts,
            )
        }
    finally:
        await conn.close()
    ids_by_alert: dict[str, list[str]] = defaultdict(list)
    for q in rx.requests:
        ids_by_alert[orjson.loads(q.body)["alert_id"]].append(q.headers["webhook-id"])
    return {
        "alerts": len(expected),
        "alerts_delivered_at_least_once": sum(1 for a in expected if ids_by_alert.get(a)),
        "webhooks_received": len(rx.requests),
        "duplicates": sum(len(v) - 1 for v in ids_by_alert.values()),
        "duplicates_with_another_webhook_id": sum(len(set(v)) - 1 for v in ids_by_alert.values()),
        "min_received_per_alert": min((len(ids_by_alert.get(a, [])) for a in expected), default=0),
        "max_received_per_alert": max((len(v) for v in ids_by_alert.values()), default=0),
        "deliveries_succeeded": attempts["succeeded"],
        "deliveries_attempted_more_than_once": attempts["more_than_once"],
        "most_attempts_of_a_delivery": attempts["most"],
    }


async def _all_sentinels(health_db: str, load: Load) -> bool:
    conn = await connect(health_db, schema="health")
    try:
        n = await conn.fetchval(
            "SELECT count(DISTINCT account_id) FROM usage_daily WHERE event = 'sentinel' AND account_id LIKE $1",
            f"chaos-{load.run}-%",
        )
    finally:
        await conn.close()
    return bool(n == load.accounts)


async def _nothing_pending(notify_db: str, accounts: list[str]) -> bool:
    conn = await connect(notify_db, schema="notifications")
    try:
        alerts = await conn.fetchval("SELECT count(*) FROM alerts WHERE account_id = ANY($1)", accounts)
        pending = await conn.fetchval(
            """SELECT count(*) FROM deliveries d JOIN alerts a USING (alert_id)
               WHERE a.account_id = ANY($1) AND d.status = 'pending'""",
            accounts,
        )
    finally:
        await conn.close()
    return bool(alerts == len(accounts) and pending == 0)

"""Helpers for the renewals tests: API keys by role, contracts through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bellwether_shared.events.ingest import Exposure
from conftest import renewals_headers
from devkit.kafka import TopicTail

CSM, CSM2, VP, ADMIN, VIEWER = (renewals_headers(w) for w in ("csm", "csm2", "vp", "admin", "viewer"))


def today() -> date:
    return datetime.now(UTC).date()


def contract(cid: str, account: str, ends_in_days: int, arr: float = 50_000, **extra: Any) -> dict[str, Any]:
    end = today() + timedelta(days=ends_in_days)
    return {
        "contract_id": cid,
        "account_id": account,
        "start_date": str(end - timedelta(days=365)),
        "end_date": str(end),
        "term_months": 12,
        "arr": arr,
        **extra,
    }


async def put_contract(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await http.put(f"/v1/contracts/{body['contract_id']}", json=body, headers=CSM)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def upsert_accounts(bootstrap: str, *accounts: tuple[str, Exposure]) -> None:
    """(account, exposure) upserts on signals.v1, as ingest publishes them."""
    import uuid

    from bellwether_shared.events import ingest as iev
    from bellwether_shared.kafka import create_producer, publish

    now = datetime.now(UTC)
    envelopes = [
        iev.AccountUpserted(
            message_id=acct, source_id="s", account_id=acct, received_at=now, occurred_at=now, exposure=exposure
        ).envelope(event_id=str(uuid.uuid4()), source="bellwether/ingest")
        for acct, exposure in accounts
    ]
    producer = create_producer(bootstrap, client_id="test-signals")
    await producer.start()
    try:
        await publish(producer, envelopes, timeout_s=30)
    finally:
        await producer.stop()


async def read_through_sentinel(http: httpx.AsyncClient, tail: TopicTail, account: str, run_id: str) -> list[Any]:
    """A contract of the same account renewing in 100 days: its opportunity_created event is
    written to the outbox after everything before it and leaves on the same partition (the account's
    key), so once it is read every earlier event of the account has been read too. Returns all
    records read, the sentinel's own events left out."""
    tag = f"end-{run_id}"
    await put_contract(http, contract(tag, account, 100))
    got = await tail.collect(
        lambda rs: any(
            p["opportunity_id"] == f"renewal-{tag}"
            for p in of(rs, "bellwether.renewals.opportunity_created.v1", account)
        )
    )
    return [r for r in got if r.payload.get("opportunity_id") != f"renewal-{tag}"]


def of(recs: list[Any], type_: str, account: str) -> list[dict[str, Any]]:
    return [r.payload for r in recs if r.envelope.type == type_ and r.payload.get("account_id") == account]

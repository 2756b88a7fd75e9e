"""Helpers for the renewals tests: API keys by role, contracts through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bellwether_shared.events.ingest import Exposure
from conftest import renewals_headers

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

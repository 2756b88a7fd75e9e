"""Helpers for the notifications tests: what renewals would publish, and setting up people and
webhook destinations through the API."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from bellwether_shared.events import renewals as rev
from bellwether_shared.kafka import create_producer, publish
from conftest import NOTIFICATIONS_TOKEN

AUTH = {"Authorization": f"Bearer {NOTIFICATIONS_TOKEN}"}


async def risk(
    bootstrap: str, account: str, opportunity: str, *, at_risk: bool = True, arr: float = 50_000, level: str = "medium"
) -> str:
    """A renewals.v1 risk change on Kafka (what the renewals service emits); returns its event id."""
    event_id = str(uuid.uuid4())
    event = rev.RenewalRiskChanged(
        account_id=account,
        opportunity_id=opportunity,
        at_risk=at_risk,
        level=level,  # type: ignore[arg-type]
        points=40,
        renewal_date=date.today() + timedelta(days=40),
        days_to_renewal=40,
        arr=arr,
        owner_id="x",
        reasons=[rev.RiskReason(factor="health_red", points=40, text="health is red (30)")],
    )
    await _publish(bootstrap, [event.envelope(event_id=event_id, source="bellwether/renewals")])
    return event_id


async def owners(bootstrap: str, account: str, **by_role: str) -> None:
    envs = [
        rev.OwnershipChanged(
            account_id=account,
            opportunity_id=None,
            role=role,  # type: ignore[arg-type]
            old_owner_id=None,
            new_owner_id=who,
            reason="test",
            actor="t",
        ).envelope(event_id=str(uuid.uuid4()), source="bellwether/renewals")
        for role, who in by_role.items()
    ]
    await _publish(bootstrap, envs)


async def _publish(bootstrap: str, envelopes: list[Any]) -> None:
    producer = create_producer(bootstrap, client_id="test-notifications")
    await producer.start()
    try:
        await publish(producer, envelopes, timeout_s=30)
    finally:
        await producer.stop()


async def webhook_for(http: httpx.AsyncClient, person: str, url: str, **sub: Any) -> tuple[str, str]:
    r = await http.post(
        "/v1/destinations",
        json={"name": f"hook of {person}", "kind": "webhook", "target": url, "owner_person_id": person},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    dest = r.json()
    r = await http.post(
        "/v1/subscriptions", json={"destination_id": dest["destination_id"], "recipient": person, **sub}, headers=AUTH
    )
    assert r.status_code == 201, r.text
    return dest["destination_id"], dest["signing_secret"]


async def person(http: httpx.AsyncClient, pid: str, **body: Any) -> None:
    r = await http.put(f"/v1/people/{pid}", json=body, headers=AUTH)
    assert r.status_code == 200, r.text

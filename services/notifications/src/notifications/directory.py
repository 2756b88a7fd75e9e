"""Use cases of the notification directory: who is told (people, with the e-mail destination each one
gets), how (destinations, their signing secrets, subscriptions), when (rules), what a rule opens
(playbooks), and sends again on request (replays). Keyword-only async functions on a connection;
the routes check what the caller sent, these write it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.documents import Document
from notifications import (
    delivery_repository as dr,
    destination_repository as dests,
    repository,
    schemas,
    task_repository as tasks,
)
from notifications.domain import signing


async def put_rule(conn: asyncpg.Connection, *, rule_id: str, rule: schemas.RuleIn) -> asyncpg.Record:
    return await repository.put_rule(conn, rule_id=rule_id, rule=rule)


async def delete_rule(conn: asyncpg.Connection, *, rule_id: str) -> bool:
    return await repository.delete_rule(conn, rule_id=rule_id)


async def put_person(conn: asyncpg.Connection, *, person_id: str, person: schemas.PersonIn) -> asyncpg.Record:
    """The person, and with an e-mail address their own e-mail destination (made once, subscribed to
    everything they are sent; a new address re-targets it). One transaction."""
    async with conn.transaction():
        row = await repository.put_person(conn, person_id=person_id, person=person)
        if person.email:
            await _email_destination(conn, person_id=person_id, email=person.email)
    return row


async def _email_destination(conn: asyncpg.Connection, *, person_id: str, email: str) -> None:
    dest_id = f"email-{person_id}"
    if await dests.get_destination(conn, destination_id=dest_id) is not None:
        await dests.set_target(conn, destination_id=dest_id, target=email)
        return
    own = dests.NewDestination(
        destination_id=dest_id, name=f"e-mail of {person_id}", kind="email", target=email, owner_person_id=person_id
    )
    await dests.insert_destination(conn, d=own)
    await dests.add_subscription(
        conn,
        subscription_id="sub_" + uuid.uuid4().hex[:12],
        s=schemas.SubscriptionIn(destination_id=dest_id, recipient=person_id, min_severity="info"),
    )


async def add_destination(conn: asyncpg.Connection, *, destination: dests.NewDestination) -> asyncpg.Record:
    return await dests.insert_destination(conn, d=destination)


async def rotate_secret(
    conn: asyncpg.Connection, *, destination_id: str, now: datetime, overlap_s: float, seal: Callable[[str], str]
) -> tuple[str, str] | None:
    """A new signing secret, and until when the previous ones keep signing (None: no such webhook).
    Secrets already expired are dropped."""
    async with conn.transaction():
        row = await dests.get_destination(conn, destination_id=destination_id, lock=True)
        if row is None or row["kind"] != "webhook":
            return None
        until = (now + timedelta(seconds=overlap_s)).isoformat()
        kept: list[Document] = [
            {**s, "expires_at": s["expires_at"] or until}
            for s in row["secrets"]
            if s["expires_at"] is None or datetime.fromisoformat(s["expires_at"]) > now
        ]
        secret = signing.new_secret()
        kept.append({"sealed": seal(secret), "created_at": now.isoformat(), "expires_at": None})
        await dests.set_secrets(conn, destination_id=destination_id, secrets=kept)
    return secret, until


async def enable(conn: asyncpg.Connection, *, destination_id: str) -> asyncpg.Record | None:
    await dests.set_enabled(conn, destination_id=destination_id, enabled=True, reason=None)
    return await dests.get_destination(conn, destination_id=destination_id)


async def delete_destination(conn: asyncpg.Connection, *, destination_id: str) -> bool:
    """Disabled for good; what was still pending to it fails ('destination deleted')."""
    async with conn.transaction():
        return await dests.delete_destination(conn, destination_id=destination_id)


async def subscribe(conn: asyncpg.Connection, *, subscription: schemas.SubscriptionIn) -> asyncpg.Record:
    return await dests.add_subscription(conn, subscription_id="sub_" + uuid.uuid4().hex[:12], s=subscription)


async def unsubscribe(conn: asyncpg.Connection, *, subscription_id: str) -> bool:
    return await dests.delete_subscription(conn, subscription_id=subscription_id)


async def replay(
    conn: asyncpg.Connection,
    *,
    delivery_ids: Sequence[str] | None = None,
    destination_id: str | None = None,
    since: datetime | None = None,
) -> int:
    """Send again (same webhook-id): these deliveries, or every one to a destination since a time."""
    return await dr.replay(conn, delivery_ids=delivery_ids, destination_id=destination_id, since=since)


async def put_playbook(conn: asyncpg.Connection, *, playbook_id: str, playbook: schemas.PlaybookIn) -> dict[str, Any]:
    return await tasks.put_playbook(conn, playbook_id=playbook_id, playbook=playbook)


async def retire_playbook(conn: asyncpg.Connection, *, playbook_id: str) -> bool:
    return await tasks.retire_playbook(conn, playbook_id=playbook_id)

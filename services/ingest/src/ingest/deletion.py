"""A user's deletion (privacy law; Segment's ``delete`` message, or an admin's request): ingest forgets
what it keeps of them, records who asked and when (the user only as a hash), optionally suppresses their
further events, and publishes ``user_deleted`` through the outbox in the same transaction, so every
service forgets them too (each keeps its anonymous aggregates)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.events import derive_event_id
from bellwether_shared.events.ingest import UserDeleted
from ingest import deletion_repository, repository
from ingest.deletion_repository import user_hash
from ingest.domain.normalise import Message
from ingest.intake import Intake


def suppressed(messages: Iterable[Message], hashes: frozenset[str]) -> set[str]:
    """The message ids of the messages whose user or anonymous id is suppressed."""
    if not hashes:
        return set()
    return {
        m.message_id
        for m in messages
        if any(i is not None and user_hash(i) in hashes for i in (m.user_id, m.anonymous_id))
    }


async def delete_user(
    intake: Intake,
    *,
    user_id: str,
    contact_ids: Sequence[str],
    requested_by: str,
    suppress: bool,
    source_id: str = "admin",
    message_id: str | None = None,
) -> tuple[str, bool]:
    """(request id, new?): a sender's retry of the same message is the same request and changes nothing."""
    request_id = "del_" + (derive_event_id(source_id, message_id)[:24] if message_id else uuid.uuid4().hex)
    at = utcnow()
    async with intake.pool.acquire() as conn, conn.transaction(), repository.unit(conn) as uow:
        new = await deletion_repository.record_request(
            conn,
            request_id=request_id,
            user_id=user_id,
            requested_by=requested_by,
            at=at,
            suppress=suppress,
            contacts=len(contact_ids),
        )
        if new:
            await deletion_repository.forget(conn, user_id=user_id, contact_ids=contact_ids)
            event = UserDeleted(
                message_id=message_id or request_id,
                source_id=source_id,
                account_id=None,
                received_at=at,
                user_id=user_id,
                timestamp=at,
                contact_ids=list(contact_ids),
                requested_by=requested_by,
                suppress=suppress,
            )
            uow.emit(event, event_id=derive_event_id("deletion", request_id), at=at)
    intake.identities.drop(user_id)
    if suppress:
        intake.suppressions.add(user_hash(user_id))
    return request_id, new


async def lift(conn: asyncpg.Connection, *, user_id: str) -> bool:
    """Accept a suppressed user's events again (False: the user was not suppressed)."""
    return await deletion_repository.lift(conn, user_id=user_id)

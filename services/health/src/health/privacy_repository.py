"""A person forgotten in health (a deletion request): their per-user activity and NPS answers are kept
under a random id (the counts stay), the comment goes; their e-mail link, their contacts (linked by
user id or e-mail, or named in the request) and every row naming them go. Returns the accounts touched."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bellwether_shared import privacy_repository as privacy


async def forget_user(conn: asyncpg.Connection, *, user_id: str, contact_ids: Sequence[str]) -> set[str]:
    emails = [r["email"] for r in await conn.fetch("SELECT email FROM user_emails WHERE user_id = $1", user_id)]
    linked = await conn.fetch(
        """SELECT account_id, contact_id FROM contacts
            WHERE user_id = $1 OR contact_id = ANY($2::text[]) OR lower(email) = ANY($3::text[])""",
        user_id,
        list(contact_ids),
        [e.lower() for e in emails],
    )
    ids = sorted({r["contact_id"] for r in linked} | set(contact_ids))
    await conn.execute("UPDATE nps_responses SET comment = NULL WHERE contact_id = ANY($1::text[])", ids)
    await privacy.pseudonymise(conn, table="nps_responses", column="contact_id", ids=ids)
    for table in ("user_days", "milestone_hits"):
        await privacy.pseudonymise(conn, table=table, column="user_id", ids=[user_id])
    await privacy.forget_person(conn, user_id=user_id, contact_ids=ids, texts=emails)
    return {r["account_id"] for r in linked}

"""Support over a window on the real PostgreSQL (health.support): tickets by window, reason and bug,
active users, requests still waiting; for one account and the whole base. A database of its own, so the
whole base is only this test's rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bellwether_shared.db import connect
from bellwether_shared.events import ingest as iev
from bellwether_shared.support import Support
from conftest import migrated, new_database
from devkit.infra import Endpoints
from health import goal_repository, repository, support

NOW = datetime.now(UTC)
TODAY = NOW.date()


def _ticket(account: str, ticket_id: str, days_ago: int, reason: str | None, bug: bool = False) -> iev.TicketChanged:
    opened = NOW - timedelta(days=days_ago)
    return iev.TicketChanged(
        account_id=account,
        source_id="s",
        message_id=f"m-{account}-{ticket_id}",
        received_at=NOW,
        occurred_at=opened,
        ticket_id=ticket_id,
        status="opened",
        severity="medium",
        bug_linked=bug,
        opened_at=opened,
        contact_reason=reason,
    )


async def _scenario(url: str) -> tuple[Support, Support]:
    conn = await connect(url, schema="health")
    try:
        tickets = [
            _ticket("a", "t1", 2, "how_to"),
            _ticket("a", "t2", 3, "bug", bug=True),
            _ticket("a", "t3", 10, "how_to"),
            _ticket("a", "t4", 40, "billing"),  # the window before
            _ticket("b", "t5", 5, None),  # sent without a reason
        ]
        for t in tickets:
            await repository.upsert_ticket(conn, e=t, at=t.occurred_at)
        days = [(acct, TODAY - timedelta(days=d), f"u{u}", 1) for acct in ("a", "b") for d in (1, 35) for u in range(4)]
        await conn.executemany("INSERT INTO user_days (account_id, day, user_id, events) VALUES ($1, $2, $3, $4)", days)
        sso = iev.FeatureRequestStatusChanged(
            account_id="a",
            source_id="s",
            message_id="m-r1",
            received_at=NOW,
            occurred_at=NOW - timedelta(days=60),
            request_id="r1",
            title="SAML SSO",
            status="planned",
        )
        await goal_repository.upsert_request(conn, e=sso, at=sso.occurred_at)
        one = await support.read(conn, account_id="a", today=TODAY, window_days=30)
        every = await support.read(conn, account_id=None, today=TODAY, window_days=30)
        return one, every
    finally:
        await conn.close()


def test_an_accounts_support_and_the_whole_bases(endpoints: Endpoints) -> None:
    db = migrated(new_database(endpoints.admin_database_url), "health")
    one, every = asyncio.run(_scenario(db.url))
    assert (one.tickets, one.active_users, one.contact_rate, one.contact_rate_before) == (3, 4, 0.75, 0.25)
    assert one.trend_pct == 200.0 and one.bug_share == round(1 / 3, 4)
    assert one.top_reasons[0] == ("how_to", 2)
    assert [(t, s, a) for t, s, _, a in one.unfulfilled] == [("SAML SSO", "planned", 1)]
    assert one.unfulfilled[0][2] >= 59  # waiting since it was first seen
    assert (every.tickets, every.active_users, every.contact_rate) == (4, 8, 0.5)
    assert dict(every.top_reasons)["unclassified"] == 1

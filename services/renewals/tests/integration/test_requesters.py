"""Every requester told: a shipped request is announced once to each account that asked (not only the
one on the status change), urgent within 90 days of a renewal ahead, for the digest otherwise, and to
no churned account."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import orjson

from bellwether_shared.events import ingest as iev
from renewals import opportunity_repository as opps
from renewals.domain import commands
from renewals.domain.policy import Decision, Role
from tests.support.db import rolled_back
from tests.support.renewals_handlers import NOW, handle, rec, sig


def _opp(oid: str, account: str, days: int) -> commands.NewOpportunity:
    return commands.NewOpportunity(
        opportunity_id=oid,
        account_id=account,
        kind="renewal",
        renewal_date=NOW.date() + timedelta(days=days),
        arr=1_000,
        owner=Decision(role=Role.CSM, owner_id="cara", reason="r"),
        source="renewal",
    )


async def test_each_asking_account_is_told_once_by_its_renewal(renewals_db, run_id) -> None:
    soon, later, none, past, gone = (f"{k}-{run_id}" for k in ("soon", "later", "none", "past", "gone"))
    request = f"FR-{run_id}"

    def asked(account: str, status: Literal["open", "shipped"] = "open") -> iev.FeatureRequestStatusChanged:
        return iev.FeatureRequestStatusChanged(**sig(account), request_id=request, title="SSO", status=status)

    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await handle(conn, *(rec(asked(a)) for a in (soon, later, none, past, gone)))
        await opps.insert_opportunity(conn, o=_opp(f"o-{soon}", soon, 40))
        await opps.insert_opportunity(conn, o=_opp(f"o-{later}", later, 200))
        await opps.insert_opportunity(conn, o=_opp(f"o-{past}", past, -10))
        await opps.insert_opportunity(conn, o=_opp(f"o-{gone}", gone, -30))
        await opps.close(conn, opportunity_id=f"o-{gone}", outcome="churned", arr_change=-1_000, colour="red")
        shipped = rec(asked(soon, "shipped"))
        await handle(conn, shipped)
        await handle(conn, rec(asked(later, "shipped")))  # the same request shipped, seen again: nobody twice
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE event_type = 'bellwether.renewals.request_shipped.v1'"
        )
    payloads = [p for p in (orjson.loads(r["payload"]) for r in rows) if p["request_id"] == request]
    told = {p["account_id"]: p for p in payloads}
    assert set(told) == {soon, later, none, past}  # every account that asked, but the churned one
    assert (told[soon]["urgency"], told[soon]["days_to_renewal"]) == ("urgent", 40)
    assert told[later]["urgency"] == "digest" and told[none]["urgency"] == "digest"
    assert told[past]["urgency"] == "digest" and told[past]["days_to_renewal"] == -10  # past: never urgent
    assert len(payloads) == 4

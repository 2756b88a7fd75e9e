"""Renewals' repository helpers on the migrated schema, in a rolled-back transaction: contracted
ARR (all contracts, or those still running), the renewal of a contract, accounts whose owners the
policy decides, the sweep's lock, settings, and the audit trail the unit of work writes."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from bellwether_shared.uow import AuditEntry
from renewals import handoff_repository as reviews
from renewals import opportunity_repository as opps
from renewals import repository
from tests.support.db import rolled_back

TODAY = date.today()


async def _contract(conn: asyncpg.Connection, cid: str, account: str, arr: float, ends: date) -> None:
    await repository.ensure_account(conn, account_id=account)
    await opps.upsert_contract(
        conn,
        c={"contract_id": cid, "account_id": account, "deal_id": None, "start_date": ends - timedelta(days=365),
           "end_date": ends, "term_months": 12, "arr": arr, "list_price": None, "discount_pct": None, "products": []},
    )  # fmt: skip


async def test_contracted_arr_and_the_renewal_of_a_contract(renewals_db, run_id) -> None:
    acct = f"rr-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await _contract(conn, f"c1-{run_id}", acct, 10_000, TODAY + timedelta(days=30))
        await _contract(conn, f"c2-{run_id}", acct, 5_000, TODAY - timedelta(days=30))  # ended
        every = await repository.contracted_arr(conn, account_id=acct)
        running = await repository.contracted_arr(conn, account_id=acct, active_on=TODAY)
        none = await repository.renewal_of(conn, contract_id=f"c1-{run_id}")
        await opps.insert_opportunity(
            conn,
            o={"opportunity_id": f"renewal-c1-{run_id}", "account_id": acct, "contract_id": f"c1-{run_id}",
               "kind": "renewal", "renewal_date": TODAY + timedelta(days=30), "arr": 10_000, "owner_id": None,
               "owner_role": "csm", "owner_reason": "r"},
        )  # fmt: skip
        renewal = await repository.renewal_of(conn, contract_id=f"c1-{run_id}")
        policy_owned = await repository.accounts_with_policy_owners(conn)
        await conn.execute("UPDATE opportunities SET owner_manual = true WHERE account_id = $1", acct)
        manual = await repository.accounts_with_policy_owners(conn)
    assert (every, running) == (15_000.0, 10_000.0)
    assert none is None and renewal == f"renewal-c1-{run_id}"
    assert acct in policy_owned and acct not in manual


async def test_the_sweep_lock_is_held_by_one_transaction_at_a_time(renewals_db, run_id) -> None:
    lock = int(run_id[:6], 16)
    async with (
        rolled_back(renewals_db.url, schema="renewals") as a,
        rolled_back(renewals_db.url, schema="renewals") as b,
    ):
        assert await repository.try_lock(a, lock_id=lock)
        assert not await repository.try_lock(b, lock_id=lock)


async def test_settings_round_trip_and_the_audit_trail_pages_newest_first(renewals_db, run_id) -> None:
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await repository.put_setting(conn, key=f"k-{run_id}", value={"a": 1}, actor="me")
        await repository.put_setting(conn, key=f"k-{run_id}", value={"a": 2}, actor="me")
        value = await repository.get_setting(conn, key=f"k-{run_id}")
        await repository.write_audit(
            conn, [AuditEntry("thing", f"t-{run_id}", f"step{i}", "me", {"i": i}) for i in range(3)]
        )
        first = await repository.audit_trail(
            conn, entity_type="thing", entity_id=f"t-{run_id}", limit=2, before_id=None
        )
        rest = await repository.audit_trail(
            conn, entity_type="thing", entity_id=f"t-{run_id}", limit=2, before_id=first[-1]["id"]
        )
        missing = await reviews.get_review(conn, deal_id=f"none-{run_id}")
    assert value == {"a": 2}
    assert [r["action"] for r in first] == ["step2", "step1"] and [r["action"] for r in rest] == ["step0"]
    assert missing is None

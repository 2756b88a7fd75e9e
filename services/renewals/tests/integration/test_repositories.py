"""Renewals' repository helpers on the migrated schema, in a rolled-back transaction: contracted
ARR (all contracts, or those still running), the renewal of a contract, accounts whose owners the
policy decides, the sweep's lock, settings, and the audit trail the unit of work writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from bellwether_shared.uow import AuditEntry
from renewals import (
    contract_repository as contracts,
    handoff_repository as reviews,
    insights_repository as insights,
    opportunity_repository as opps,
    repository,
)
from renewals.domain import commands
from renewals.domain.policy import Decision, Role
from tests.support.db import rolled_back

TODAY = date.today()


async def _contract(conn: asyncpg.Connection, cid: str, account: str, arr: float, ends: date) -> None:
    await repository.ensure_account(conn, account_id=account)
    await contracts.upsert_contract(
        conn,
        c=commands.ContractTerms(
            contract_id=cid,
            account_id=account,
            start_date=ends - timedelta(days=365),
            end_date=ends,
            term_months=12,
            arr=arr,
        ),
    )


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
            o=commands.NewOpportunity(
                opportunity_id=f"renewal-c1-{run_id}",
                account_id=acct,
                contract_id=f"c1-{run_id}",
                kind="renewal",
                renewal_date=TODAY + timedelta(days=30),
                arr=10_000,
                owner=Decision(role=Role.CSM, owner_id=None, reason="r"),
                source="renewal",
            ),
        )
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


def _opp(
    oid: str, account: str, contract: str | None, renewal: date | None, kind: str = "renewal"
) -> commands.NewOpportunity:
    return commands.NewOpportunity(
        opportunity_id=oid,
        account_id=account,
        contract_id=contract,
        kind=kind,
        renewal_date=renewal,
        arr=1_000,
        owner=Decision(role=Role.CSM, owner_id="cara", reason="r"),
        source="renewal" if kind == "renewal" else "manual",
    )


async def test_contracts_and_opportunities_list_stage_close_and_history(renewals_db, run_id) -> None:
    acct = f"ro-{run_id}"
    ends = TODAY + timedelta(days=20)
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        await _contract(conn, f"c1-{run_id}", acct, 1_000, ends)
        await _contract(conn, f"c2-{run_id}", acct, 2_000, TODAY + timedelta(days=400))
        due = {
            r["contract_id"]
            for r in await contracts.contracts_without_renewal(conn, ends_by=TODAY + timedelta(days=30), limit=10_000)
        }
        listed = await contracts.list_contracts(conn, account_id=acct, limit=10, offset=0)
        await opps.insert_opportunity(conn, o=_opp(f"renewal-c1-{run_id}", acct, f"c1-{run_id}", ends))
        again = await opps.insert_opportunity(conn, o=_opp(f"renewal-c1-{run_id}", acct, f"c1-{run_id}", ends))
        await opps.insert_opportunity(conn, o=_opp(f"x-{run_id}", acct, None, None, kind="expansion"))
        due_after = {
            r["contract_id"]
            for r in await contracts.contracts_without_renewal(conn, ends_by=TODAY + timedelta(days=30), limit=10_000)
        }
        await opps.set_owner(
            conn, opportunity_id=f"x-{run_id}", owner_id="abe", role="ae", reason="by hand", manual=True
        )
        await opps.add_ownership_history(
            conn,
            account_id=acct,
            opportunity_id=f"x-{run_id}",
            role="ae",
            old="cara",
            new="abe",
            reason="by hand",
            actor="me",
        )
        history = await opps.ownership_history(conn, opportunity_id=f"x-{run_id}")
        await opps.set_stage(conn, opportunity_id=f"x-{run_id}", stage="in_progress")
        renewals = await opps.list_opportunities(
            conn,
            kind="renewal",
            stage=None,
            at_risk=None,
            owner_id=None,
            account_id=acct,
            renewing_before=None,
            limit=10,
            offset=0,
        )
        by_abe = await opps.list_opportunities(
            conn,
            kind=None,
            stage="in_progress",
            at_risk=None,
            owner_id="abe",
            account_id=acct,
            renewing_before=None,
            limit=10,
            offset=0,
        )
        closed = await opps.close(
            conn, opportunity_id=f"renewal-c1-{run_id}", outcome="churned", arr_change=-1_000, colour="red"
        )
        still_open = [r["opportunity_id"] for r in await opps.open_opportunities(conn, account_id=acct)]
        c1 = await contracts.get_contract(conn, contract_id=f"c1-{run_id}")
    assert f"c1-{run_id}" in due and f"c2-{run_id}" not in due and f"c1-{run_id}" not in due_after
    assert sorted(c["contract_id"] for c in listed) == [f"c1-{run_id}", f"c2-{run_id}"]
    assert again is None  # one renewal per contract
    assert [(h["old_owner_id"], h["new_owner_id"]) for h in history] == [("cara", "abe")]
    assert [r["opportunity_id"] for r in renewals] == [f"renewal-c1-{run_id}"]
    assert [r["opportunity_id"] for r in by_abe] == [f"x-{run_id}"] and by_abe[0]["owner_manual"]
    assert closed["stage"] == "closed" and closed["colour_at_close"] == "red" and not closed["at_risk"]
    assert still_open == [f"x-{run_id}"] and c1 is not None and float(c1["arr"]) == 1_000


async def test_insight_aggregates_count_what_was_added(renewals_db, run_id) -> None:
    acct, year = f"ri-{run_id}", date(2098, 1, 1)
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        before_colour = {
            r["colour"]: (r["closed"], r["churned"]) for r in await insights.closed_by_colour(conn, days_before=60)
        }
        before_retention = {r["grp"]: r["closed"] for r in await insights.retention(conn, by="deal_quality_band")}
        await _contract(conn, f"c-{run_id}", acct, 3_000, year + timedelta(days=40))
        await repository.set_owner(conn, account_id=acct, role="csm", owner_id=f"csm-{run_id}")
        await conn.execute(
            "INSERT INTO health_history VALUES ($1, $2, 25, 'red', 'default', 1)",
            acct,
            datetime.combine(year - timedelta(days=100), datetime.min.time(), tzinfo=UTC),
        )
        await opps.insert_opportunity(
            conn, o=_opp(f"renewal-c-{run_id}", acct, f"c-{run_id}", year + timedelta(days=40))
        )
        # green at close, red 60 days before the date: the learned rates read what was known then
        await opps.close(
            conn, opportunity_id=f"renewal-c-{run_id}", outcome="churned", arr_change=-3_000, colour="green"
        )
        held = [h for h in await insights.holdings(conn, role="csm", today=TODAY) if h["owner_id"] == f"csm-{run_id}"]
        upcoming = await insights.up_for_renewal(conn, start=year, end=year + timedelta(days=365), period="quarter")
        after_colour = {
            r["colour"]: (r["closed"], r["churned"]) for r in await insights.closed_by_colour(conn, days_before=60)
        }
        tallies = await insights.backtest_tallies(conn, days_before=60, churn=["churned"])
        after_retention = {r["grp"]: r["closed"] for r in await insights.retention(conn, by="deal_quality_band")}
    assert [(h["account_id"], h["arr"]) for h in held] == [(acct, 3_000.0)]  # the running contract's ARR
    assert [(u["period"], u["contracts"], u["arr"]) for u in upcoming if u["period"] == "2098-Q1"] == [
        ("2098-Q1", 1, 3_000.0)
    ]
    red_before = before_colour.get("red", (0, 0))
    assert after_colour["red"] == (red_before[0] + 1, red_before[1] + 1)
    assert any(t["colour"] == "red" and t["value"] == 25 and t["churned"] >= 1 for t in tallies)
    assert after_retention["no review"] == before_retention.get("no review", 0) + 1


async def test_a_deal_cs_rejected_leaves_the_csms_retention_figures_not_the_aes(renewals_db, run_id) -> None:
    """domain.md: rejected deals stop counting in what a CSM is measured on; the AE who sold it still sees
    it (and the CSM's workload keeps it: see the books test)."""
    good, bad, csm, ae = f"rg-{run_id}", f"rb-{run_id}", f"cara-{run_id}", f"abe-{run_id}"
    async with rolled_back(renewals_db.url, schema="renewals") as conn:
        for acct in (good, bad):
            await _contract(conn, f"c-{acct}", acct, 10_000, TODAY - timedelta(days=5))
            await repository.set_owner(conn, account_id=acct, role="csm", owner_id=csm)
            await repository.set_owner(conn, account_id=acct, role="ae", owner_id=ae)
            await opps.insert_opportunity(conn, o=_opp(f"renewal-{acct}", acct, f"c-{acct}", TODAY - timedelta(days=5)))
            await opps.close(
                conn, opportunity_id=f"renewal-{acct}", outcome="churned", arr_change=-10_000, colour="red"
            )
        await conn.execute("UPDATE contracts SET deal_id = $1 WHERE contract_id = $2", f"D-{bad}", f"c-{bad}")
        await conn.execute(
            """INSERT INTO handoff_reviews (deal_id, account_id, contract_id, ae, answers, discount_pct, score, band,
                                            flags, status)
               VALUES ($1, $2, $3, $4, '{}', 0, 20, 'poor', '[]', 'rejected')""",
            f"D-{bad}",
            bad,
            f"c-{bad}",
            ae,
        )
        by_csm = {r["grp"]: r["closed"] for r in await insights.retention(conn, by="csm")}
        by_ae = {r["grp"]: r["closed"] for r in await insights.retention(conn, by="ae")}
    assert by_csm[csm] == 1 and by_ae[ae] == 2

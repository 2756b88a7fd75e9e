"""Promised touches past due, on the migrated schema in a rolled-back transaction: a high-touch
account's business review overdue is announced once per due day to its CSM; a touch held since
silences it; a self-service account is promised nothing; before the company records any touch, nothing
is overdue (a go-live is not a flood of tasks). A database of its own: what is owed depends on the first
touch of each kind anyone recorded, so no other test's committed touches may be seen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import asyncpg
import orjson
import pytest

from bellwether_shared.events import ingest as iev
from bellwether_shared.settings import EntitlementsIn
from bellwether_shared.uow import UnitOfWork
from conftest import ServiceDb, migrated, new_database
from devkit.infra import Endpoints
from renewals import (
    contract_repository as contracts,
    insights_repository as insights,
    repository,
    touch_repository,
    touches,
)
from renewals.domain import commands
from renewals.settings import RenewalsSettings
from tests.support.db import rolled_back
from tests.support.renewals_handlers import SETTINGS


@pytest.fixture(scope="module")
def touches_db(endpoints: Endpoints) -> ServiceDb:
    return migrated(new_database(endpoints.admin_database_url), "renewals")


NOW = datetime.now(UTC)
TODAY = NOW.date()
Kind = Literal["business_review", "check_in", "executive_sponsor_meeting", "onboarding_session", "value_review"]


async def _account(conn: asyncpg.Connection, account: str, **engagement: Any) -> None:
    upserted = iev.AccountUpserted(
        account_id=account, source_id="s", message_id=f"m-{account}", received_at=NOW, occurred_at=NOW, **engagement
    )
    await repository.upsert_account(conn, e=upserted, at=NOW)
    await repository.set_owner(conn, account_id=account, role="csm", owner_id=f"csm-{account}")
    terms = commands.ContractTerms(
        contract_id=f"c-{account}",
        account_id=account,
        start_date=TODAY - timedelta(days=400),
        end_date=TODAY + timedelta(days=300),
        term_months=24,
        arr=50_000,
    )
    await contracts.upsert_contract(conn, c=terms)


async def _touch(conn: asyncpg.Connection, account: str, touch_id: str, kind: Kind, days_ago: int) -> None:
    held = iev.TouchRecorded(
        account_id=account,
        source_id="s",
        message_id=f"m-{touch_id}",
        received_at=NOW,
        occurred_at=NOW,
        touch_id=touch_id,
        kind=kind,
        outcome="done",
        held_on=TODAY - timedelta(days=days_ago),
    )
    await touch_repository.upsert_touch(conn, e=held, at=NOW)


async def _announced(
    conn: asyncpg.Connection, accounts: set[str], settings: RenewalsSettings = SETTINGS
) -> list[dict[str, Any]]:
    uow = UnitOfWork(conn, "bellwether/renewals", NOW)  # not flushed: the events are read from the unit
    await touches.announce_overdue(uow, settings=settings)
    events = [orjson.loads(e.data) for e in uow.pending_events if e.type == "bellwether.renewals.touch_overdue.v1"]
    return [e for e in events if e["account_id"] in accounts]


async def test_an_overdue_promised_touch_is_announced_once_to_the_csm(touches_db, run_id) -> None:
    strategic, self_served = f"t-strat-{run_id}", f"t-self-{run_id}"
    mine = {strategic, self_served}
    async with rolled_back(touches_db.url, schema="renewals") as conn:
        await _account(conn, strategic, tier="strategic")
        await _account(conn, self_served, tier="strategic", engagement_preference="self_service")
        before_any_touch = await _announced(conn, mine)
        await _touch(conn, strategic, f"qbr-{run_id}", "business_review", 100)  # every 91 days: 9 days late
        await _touch(conn, strategic, f"ci-{run_id}", "check_in", 3)  # every 14 days: due in 11
        twice_a_year = SETTINGS.model_copy(
            update={
                "engagement_entitlements": {
                    "high_touch": EntitlementsIn(
                        business_reviews_per_year=2, executive_sponsor=True, onboarding_hours=40, check_in_days=14
                    )
                }
            }
        )
        company_promises_less = await _announced(conn, mine, twice_a_year)
        first = await _announced(conn, mine)
        candidates = await insights.attention_candidates(conn, owner_id=f"csm-{strategic}")
        owed = await touches.owed(conn, rows=candidates, settings=SETTINGS, today=TODAY)
        again = await _announced(conn, mine)
        await _touch(conn, strategic, f"qbr2-{run_id}", "business_review", 1)
        after_held = await _announced(conn, mine)
    assert before_any_touch == []
    assert [(e["account_id"], e["kind"]) for e in first] == [(strategic, "business_review")]
    told = first[0]
    assert date.fromisoformat(told["due_on"]) == TODAY - timedelta(days=9) and told["days_overdue"] == 9
    assert date.fromisoformat(told["last_done"]) == TODAY - timedelta(days=100)
    assert (told["engagement_model"], told["engagement_reason"]) == ("high_touch", "strategic tier: high touch")
    assert told["owner_id"] == f"csm-{strategic}"
    assert again == [] and after_held == []  # once per due day; a review held since silences it
    assert owed == {strategic: ["business review 9 days overdue"]}  # what the attention queue shows
    assert company_promises_less == []  # two reviews a year (asked first): the one 100 days ago is not late


async def test_value_reviews_are_owed_monthly_once_the_company_records_them(touches_db, run_id) -> None:
    """A value review is a promised touch (monthly for high touch); none is owed before the company
    records its first one, and from then on an account that never had one owes it from that day."""
    never, reviewed = f"v-never-{run_id}", f"v-rev-{run_id}"
    mine = {never, reviewed}
    async with rolled_back(touches_db.url, schema="renewals") as conn:
        for account in mine:
            await _account(conn, account, tier="strategic")
            await _touch(conn, account, f"qbr-{account}", "business_review", 10)
        before_any_review = await _announced(conn, mine)
        review = iev.ValueReviewRecorded(
            account_id=reviewed,
            source_id="s",
            message_id=f"m-vr-{run_id}",
            received_at=NOW,
            occurred_at=NOW,
            review_id=f"vr-{run_id}",
            reviewed_on=TODAY - timedelta(days=40),
            outcome="met",
        )
        await touch_repository.upsert_touch(conn, e=review.as_touch(), at=NOW)
        first = await _announced(conn, mine)
        await _touch(conn, reviewed, f"vr2-{run_id}", "value_review", 2)
        await _touch(conn, never, f"vr3-{run_id}", "value_review", 2)
        after_held = await _announced(conn, mine)
    assert before_any_review == []  # check-ins and sponsor meetings are not recorded here either: none owed
    told = {e["account_id"]: e for e in first}
    assert {(a, e["kind"]) for a, e in told.items()} == {(never, "value_review"), (reviewed, "value_review")}
    assert told[never]["days_overdue"] == told[reviewed]["days_overdue"] == 10  # due 30 days after day -40
    assert told[never]["last_done"] is None
    assert date.fromisoformat(told[reviewed]["last_done"]) == TODAY - timedelta(days=40)
    assert after_held == []

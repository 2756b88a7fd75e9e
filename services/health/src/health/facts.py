"""What a re-score reads: the current scorecards, and each account's facts loaded in bulk and shaped for the
pure core (how far its usage is data included)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from health import assessment_repository, repository, score_repository
from health.assess import Assessed
from health.domain.choice import CardChoice
from health.domain.model import AccountFacts
from health.domain.observation import usage_as_of, usage_observed_from
from health.schemas import scorecard_from_row
from health.settings import HealthSettings


async def load_cards(conn: asyncpg.Connection) -> list[CardChoice]:
    rows = [r for r in await repository.current_scorecards(conn) if r["active"]]
    rows.sort(key=lambda r: (not r["is_default"], r["created_at"]), reverse=False)
    return [
        CardChoice(
            scorecard_from_row(r),
            frozenset(r["tiers"]),
            frozenset(r["segments"]),
            r["is_default"],
            frozenset(r["lifecycle_stages"]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class UsageView:
    """How far an account's usage is data (domain.observation): from which day, and up to which day the
    windows run (None: today)."""

    observed_from: date | None
    as_of: date | None


def usage_view(acct: Any, g: dict[str, list[Any]], today: date, grace_days: int) -> UsageView:
    first_seen = acct["created_at"].date() if acct else None
    observed_from = usage_observed_from(
        first_usage=acct["first_usage_on"] if acct else None,
        first_seen=first_seen,
        started=acct["onboarding_started_at"] if acct else None,
        grace_days=grace_days,
    )
    newest = max((r["day"] for r in g["events"]), default=None)
    return UsageView(
        observed_from, usage_as_of(newest_usage=newest, first_seen=first_seen, today=today, grace_days=grace_days)
    )


def account_facts(
    account_id: str, g: dict[str, list[Any]], milestone_states: tuple[str, ...], assessed: Assessed, usage: UsageView
) -> AccountFacts:
    acct = g["accounts"][0] if g["accounts"] else None
    return AccountFacts(
        account_id=account_id,
        seats=acct["seats"] if acct else None,
        tier=acct["tier"] if acct else None,
        onboarding_started_at=acct["onboarding_started_at"] if acct else None,
        exposure=acct["exposure"] if acct else None,
        discount_pct=acct["discount_pct"] if acct else None,
        onboarding=frozenset(r["aspect"] for r in g["onboarding"]),
        daily_users={r["day"]: frozenset(r["users"]) for r in g["users"]},
        daily_events={(r["day"], r["event"]): r["events"] for r in g["events"]},
        nps={r["contact_id"]: (r["answered_at"].date(), r["score"]) for r in g["nps"]},
        tickets_seen=bool(g["tickets"]),
        open_tickets=tuple((r["severity"], r["bug_linked"]) for r in g["tickets"] if r["status"] != "closed"),
        last_contact=max((r["opened_at"].date() for r in g["tickets"] if r["opened_at"]), default=None),
        champions=assessed.champions,
        coverage=assessed.coverage,
        goals=assessed.goals,
        goal_notes=assessed.goal_notes,
        milestones=milestone_states,
        problems=assessed.problems,
        requests_seen=assessed.requests_seen,
        blocking_open=assessed.blocking_open,
        value_review=(g["value_review"][0]["reviewed_on"], g["value_review"][0]["outcome"])
        if g["value_review"]
        else None,
        usage_observed_from=usage.observed_from,
        usage_as_of=usage.as_of,
    )


async def facts_of(
    conn: asyncpg.Connection, accounts: list[str], *, today: date, settings: HealthSettings, as_of: bool = False
) -> dict[str, dict[str, list[Any]]]:
    """Everything the scores read, per account and kind; ``as_of``: only usage up to ``today``."""
    since = today - timedelta(days=settings.history_days)
    rows = await score_repository.fact_rows(conn, account_ids=accounts, since=since, until=today if as_of else None)
    rows |= await assessment_repository.fact_rows(conn, account_ids=accounts, today=today)
    grouped: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for name, records in rows.items():
        for r in records:
            grouped[r["account_id"]][name].append(r)
    return grouped

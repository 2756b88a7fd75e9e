"""Score history rebuilt from imported usage: for each day before an account's first stored score, its
score as it was that day (usage, milestones and NPS answers up to that day; the other signals as they
are now), kept where it changed, as live scoring keeps it. Nothing is announced: the events a live
score would have sent are dropped, so nobody is alerted about the past. Then the accounts are queued
for a live re-score, whose 7- and 30-day trends read the rebuilt history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.uow import UnitOfWork
from health import queue_repository, repository, score_repository
from health.assess import Assessor
from health.domain import milestones as ms
from health.domain.commands import StoredScore
from health.domain.model import Score
from health.domain.scoring import reasons, stored_changed
from health.facts import facts_of, load_cards
from health.recompute import measures_json, score_account
from health.settings import HealthSettings

MAX_DAYS = 730


def _row(score: Score, previous: Score | None) -> StoredScore:
    return StoredScore(
        account_id=score.account_id,
        computed_at=score.computed_at,
        value=score.value,
        colour=score.colour.value,
        sufficient=score.sufficient,
        scorecard_id=score.scorecard_id,
        scorecard_version=score.scorecard_version,
        measures=measures_json(score),
        reasons=[{"key": r.key, "delta": r.delta, "text": r.text} for r in reasons(previous, score)],
    )


async def rebuild(
    conn: asyncpg.Connection, *, account_ids: Sequence[str], since: date, until: date, settings: HealthSettings
) -> dict[str, int]:
    """History rows written per account (days scored before its first stored score)."""
    accounts = sorted(set(account_ids))
    first = await score_repository.first_scores(conn, account_ids=accounts)
    cards = await load_cards(conn)
    defs = [ms.MilestoneDef(**r["definition"]) for r in await repository.milestone_defs(conn)]
    previous: dict[str, Score | None] = {}
    written: dict[str, int] = {}
    day = since
    while day <= until:
        now = datetime.combine(day, time.max, tzinfo=UTC)
        todo = [a for a in accounts if a not in first or now < first[a]]
        if todo:
            scratch = UnitOfWork(conn, source="bellwether/health", now=now)  # never flushed: nothing is sent
            assessor = Assessor(scratch, settings.tiers, onboarding_days=settings.onboarding_expected_days)
            grouped = await facts_of(conn, todo, today=day, settings=settings, as_of=True)
            rows = []
            for account in todo:
                score = score_account(
                    scratch, account, grouped[account], cards, defs, assessor, [], settings.usage_grace_days
                )
                if stored_changed(previous.get(account), score):
                    rows.append(_row(score, previous.get(account)))
                    previous[account] = score
                    written[account] = written.get(account, 0) + 1
            await score_repository.save_history(conn, rows=rows)
        day += timedelta(days=1)
    await queue_repository.enqueue(conn, account_ids=accounts, due_at=utcnow())
    return written

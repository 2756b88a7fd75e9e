"""Re-scoring: claim due accounts from the queue (coalesced), load their facts in bulk, evaluate
scorecards and milestones with the pure core, store the score and queue the meaningful changes in
the outbox — all in one transaction. A scheduler re-queues every account periodically, so time
alone (no events) moves scores (decay) and passes milestone deadlines. The decisions (which card,
which milestone transitions and score changes to announce) are the pure core's; this module loads,
calls it and records the outcome through the unit of work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from opentelemetry import metrics

from bellwether_shared import tracing
from bellwether_shared.events import health as ev
from bellwether_shared.logging import get_logger
from bellwether_shared.uow import UnitOfWork
from health import queue_repository, repository, score_repository
from health.assess import Assessor
from health.domain import milestones as ms
from health.domain.choice import CardChoice, choose
from health.domain.commands import StoredScore
from health.domain.model import Colour, MeasureResult, MeasureType, Score
from health.domain.scoring import Watermark, announce, evaluate, reasons, stored_changed
from health.facts import account_facts, facts_of, load_cards, usage_view
from health.ladder import Ladder
from health.settings import HealthSettings

log = get_logger(__name__)
_meter = metrics.get_meter(__name__)
scored = _meter.create_counter("bellwether_health_accounts_scored", description="account re-scores")


def measures_json(score: Score) -> list[dict[str, Any]]:
    return [
        {
            "key": m.key,
            "type": m.type.value,
            "raw": m.raw,
            "score": m.score,
            "weight": m.weight,
            "contribution": round(m.contribution, 4),
            "detail": m.detail,
        }
        for m in score.measures
    ]


def _previous(row: Any) -> Score | None:
    if row is None:
        return None
    return Score(
        account_id=row["account_id"],
        scorecard_id=row["scorecard_id"],
        scorecard_version=row["scorecard_version"],
        value=row["value"],
        colour=Colour(row["colour"]),
        sufficient=row["sufficient"],
        measures=tuple(
            MeasureResult(
                m["key"], MeasureType(m["type"]), m["raw"], m["score"], m["weight"], m["contribution"], m.get("detail")
            )
            for m in row["measures"]
        ),
        computed_at=row["computed_at"],
    )


def score_account(
    uow: UnitOfWork,
    account: str,
    g: dict[str, list[Any]],
    cards: list[CardChoice],
    defs: Sequence[ms.MilestoneDef],
    assessor: Assessor,
    milestone_rows: list[tuple[str, str, str, date | None, int | None]],
    grace_days: int,
    ladder: Ladder | None = None,
) -> Score:
    """One account's score as of ``uow.now``: its milestones, assessments and value standing queued on
    the way (a rebuilt past score places nobody on the ladder: ``ladder`` None)."""
    acct = g["accounts"][0] if g["accounts"] else None
    states = _milestones(uow, account, g, defs, acct["onboarding_started_at"] if acct else None, milestone_rows)
    tier = acct["tier"] if acct else None
    choice = choose(cards, tier, acct["segment"] if acct else None, acct["lifecycle_stage"] if acct else None)
    usage = usage_view(acct, g, uow.now.date(), grace_days)
    assessed = assessor.account(account, g, tier)
    facts = account_facts(account, g, tuple(states), assessed, usage)
    score = evaluate(choice.card, facts, uow.now)
    assessor.expansion(account, g, facts, score)
    assessor.onboarding(account, g, facts)
    if ladder is not None:
        ladder.place(account, g, facts)
    return score


@dataclass(frozen=True)
class Context:
    """What every account of one re-score batch is scored against."""

    cards: list[CardChoice]
    defs: Sequence[ms.MilestoneDef]
    assessor: Assessor
    base7: dict[str, float]
    base30: dict[str, float]
    settings: HealthSettings
    ladder: Ladder


def _scored_row(
    uow: UnitOfWork,
    account: str,
    g: dict[str, list[Any]],
    ctx: Context,
    milestone_rows: list[tuple[str, str, str, date | None, int | None]],
) -> StoredScore:
    """Score one account, queue what it announces, and return its row of ``account_health``."""
    now = uow.now
    score = score_account(
        uow, account, g, ctx.cards, ctx.defs, ctx.assessor, milestone_rows, ctx.settings.usage_grace_days, ctx.ladder
    )
    health_row = g["health"][0] if g["health"] else None
    previous = _previous(health_row)
    why = reasons(previous, score)
    announced = (
        Watermark(health_row["emitted_value"], Colour(health_row["emitted_colour"]))
        if health_row is not None and health_row["emitted_value"] is not None
        else None
    )
    said = announce(announced, score, ctx.settings.min_delta)
    if said.score_changed:
        _announce(uow, account, announced, score, why, colour_changed=said.colour_changed, baseline=said.baseline)
    changed = stored_changed(previous, score)
    base7, base30 = ctx.base7, ctx.base30
    return StoredScore(
        account_id=account,
        computed_at=now,
        value=score.value,
        colour=score.colour.value,
        sufficient=score.sufficient,
        scorecard_id=score.scorecard_id,
        scorecard_version=score.scorecard_version,
        measures=measures_json(score),
        reasons=[{"key": r.key, "delta": r.delta, "text": r.text} for r in why]
        if changed
        else (health_row["reasons"] if health_row else []),
        trend_7d=round(score.value - base7[account], 2) if account in base7 else None,
        trend_30d=round(score.value - base30[account], 2) if account in base30 else None,
        emitted_value=said.watermark.value if said.watermark else None,
        emitted_colour=said.watermark.colour.value if said.watermark else None,
        changed=changed,
    )


async def recompute(
    uow: UnitOfWork,
    *,
    claimed: Sequence[tuple[str, int | None]],
    settings: HealthSettings,
    traces: Mapping[str, Mapping[str, str]] | None = None,
) -> int:
    """Score the claimed accounts as of the unit's time, in its transaction. Returns events queued.
    An account queued by a sampled trace is scored in a ``health score`` span continuing its newest
    traced cause, so the events it announces carry that trace on."""
    conn, now = uow.conn, uow.now
    accounts = sorted({a for a, _ in claimed})
    if not accounts:
        return 0
    cards = await load_cards(conn)
    defs = [ms.MilestoneDef(**r["definition"]) for r in await repository.milestone_defs(conn)]
    grouped = await facts_of(conn, accounts, today=now.date(), settings=settings)
    # the causes as of the facts just read: an event that arrived after the claim, but whose effect the
    # facts show, is what the score continues (not the claim's older cause)
    traces = {**(traces or {}), **await queue_repository.traces(conn, account_ids=accounts)}
    assessor = Assessor(uow, settings.tiers, onboarding_days=settings.onboarding_expected_days)
    base7 = await score_repository.last_before(conn, account_ids=accounts, before=now - timedelta(days=7))
    base30 = await score_repository.last_before(conn, account_ids=accounts, before=now - timedelta(days=30))

    score_rows: list[StoredScore] = []
    milestone_rows: list[tuple[str, str, str, date | None, int | None]] = []
    ctx = Context(cards, defs, assessor, base7, base30, settings, Ladder(uow))
    for account in accounts:
        with tracing.continued((traces or {}).get(account), "health score", account_id=account):
            score_rows.append(_scored_row(uow, account, grouped[account], ctx, milestone_rows))

    await score_repository.save_scores(conn, rows=score_rows)
    await score_repository.save_milestones(conn, rows=milestone_rows)
    await assessor.save(conn)
    await ctx.ladder.save(conn)
    jobs: dict[int, int] = defaultdict(int)
    for _, job in claimed:
        if job is not None:
            jobs[job] += 1
    await score_repository.job_progress(conn, done=jobs)
    scored.add(len(accounts))
    return len(uow.pending_events)


def happened(day: date | None, now: datetime) -> datetime:
    """A milestone event's time is the day it happened (the end of that day, at the latest now): one
    learnt late, from imported history, is old news and alerts nobody (notifications' ALERT_MAX_AGE_S)."""
    if day is None:
        return now
    return min(now, datetime.combine(day, time.max, tzinfo=UTC))


def _milestones(
    uow: UnitOfWork,
    account: str,
    g: dict[str, list[Any]],
    defs: Sequence[ms.MilestoneDef],
    start: date | None,
    changed_rows: list[tuple[str, str, str, date | None, int | None]],
) -> list[str]:
    """Evaluate every milestone; collect the rows to store and announce what the core says to."""
    before = {r["milestone_key"]: (r["state"], r["achieved_on"]) for r in g["milestones"]}
    hits_by_key: dict[str, list[ms.Hit]] = defaultdict(list)
    for h in g["hits"]:
        hits_by_key[h["milestone_key"]].extend([ms.Hit(h["day"], h["user_id"])] * h["hits"])
    states: list[str] = []
    for d in defs:
        st = ms.evaluate(d, hits_by_key[d.key], onboarding_start=start, today=uow.now.date())
        states.append(st.state)
        t = ms.transition(d, before=before.get(d.key), now=st, onboarding_start=start)
        if t.store:
            changed_rows.append((account, d.key, st.state, st.achieved_on, st.time_to_value_days))
        if t.announce == "achieved":
            assert st.achieved_on is not None
            uow.emit(
                ev.MilestoneAchieved(
                    account_id=account,
                    milestone_key=d.key,
                    name=d.name,
                    achieved_on=st.achieved_on,
                    time_to_value_days=st.time_to_value_days,
                    is_key=d.is_key,
                ),
                at=happened(st.achieved_on, uow.now),
            )
        elif t.announce == "missed":
            uow.emit(
                ev.MilestoneMissed(
                    account_id=account, milestone_key=d.key, name=d.name, deadline=t.deadline, is_key=d.is_key
                ),
                at=happened(t.deadline, uow.now),
            )
    return states


def _announce(
    uow: UnitOfWork,
    account: str,
    announced: Watermark | None,
    score: Score,
    why: Sequence[Any],
    *,
    colour_changed: bool,
    baseline: bool,
) -> None:
    old_value = announced.value if announced else None
    old_colour: ev.Colour | None = announced.colour.value if announced else None  # type: ignore[assignment]
    reason_models = [ev.Reason(key=r.key, delta=r.delta, text=r.text) for r in why]
    uow.emit(
        ev.HealthScoreChanged(
            account_id=account,
            old_value=old_value,
            new_value=score.value,
            old_colour=old_colour,
            new_colour=score.colour.value,
            delta=round(score.value - old_value, 2) if old_value is not None and not baseline else None,
            sufficient=score.sufficient,
            scorecard_id=score.scorecard_id,
            scorecard_version=score.scorecard_version,
            reasons=reason_models,
            computed_at=uow.now,
            baseline=baseline,
            usage_data=score.usage_data,
            adoption=next((m.raw for m in score.measures if m.type is MeasureType.ACTIVE_USERS), None),
        )
    )
    if colour_changed:
        uow.emit(
            ev.HealthColourChanged(
                account_id=account,
                old_colour=old_colour,
                new_colour=score.colour.value,
                value=score.value,
                reasons=reason_models,
                computed_at=uow.now,
                usage_data=score.usage_data,
            )
        )

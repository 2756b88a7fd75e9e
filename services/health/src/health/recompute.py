"""Re-scoring: claim due accounts from the queue (coalesced), load their facts in bulk, evaluate
scorecards and milestones with the pure core, store the score and queue the meaningful changes in
the outbox — all in one transaction. A scheduler re-queues every account periodically, so time
alone (no events) moves scores (decay) and passes milestone deadlines."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from opentelemetry import metrics

from bellwether_shared import outbox
from bellwether_shared.envelope import Envelope
from bellwether_shared.events import health as ev
from bellwether_shared.logging import get_logger
from health import repository, score_repository
from health.domain import milestones as ms
from health.domain.model import AccountFacts, Colour, Contact, MeasureResult, MeasureType, Score, Scorecard
from health.domain.scoring import evaluate, meaningful, reasons
from health.schemas import scorecard_from_row
from health.settings import HealthSettings

log = get_logger(__name__)
_meter = metrics.get_meter(__name__)
_scored = _meter.create_counter("bellwether_health_accounts_scored", description="account re-scores")
SOURCE = "bellwether/health"


@dataclass(frozen=True)
class CardChoice:
    card: Scorecard
    tiers: frozenset[str]
    segments: frozenset[str]
    is_default: bool


def choose(cards: Sequence[CardChoice], tier: str | None, segment: str | None) -> CardChoice:
    for c in cards:
        if not c.is_default and ((tier and tier in c.tiers) or (segment and segment in c.segments)):
            return c
    defaults = [c for c in cards if c.is_default] or list(cards)
    return defaults[0]


async def load_cards(conn: asyncpg.Connection) -> list[CardChoice]:
    rows = [r for r in await repository.current_scorecards(conn) if r["active"]]
    rows.sort(key=lambda r: (not r["is_default"], r["created_at"]), reverse=False)
    return [
        CardChoice(scorecard_from_row(r), frozenset(r["tiers"]), frozenset(r["segments"]), r["is_default"])
        for r in rows
    ]


def _measures_json(score: Score) -> list[dict[str, Any]]:
    return [
        {
            "key": m.key,
            "type": m.type.value,
            "raw": m.raw,
            "score": m.score,
            "weight": m.weight,
            "contribution": round(m.contribution, 4),
        }
        for m in score.measures
    ]


def _previous(row: Any) -> Score | None:
    if row is None:
        return None
    return Score(
        account_id=row["account_id"], scorecard_id=row["scorecard_id"], scorecard_version=row["scorecard_version"],
        value=row["value"], colour=Colour(row["colour"]), sufficient=row["sufficient"],
        measures=tuple(MeasureResult(m["key"], MeasureType(m["type"]), m["raw"], m["score"], m["weight"],
                                     m["contribution"]) for m in row["measures"]),
        computed_at=row["computed_at"],
    )  # fmt: skip


def _facts(account_id: str, g: dict[str, list[Any]], milestone_states: tuple[str, ...]) -> AccountFacts:
    acct = g["accounts"][0] if g["accounts"] else None
    return AccountFacts(
        account_id=account_id,
        seats=acct["seats"] if acct else None,
        exposure=acct["exposure"] if acct else None,
        discount_pct=acct["discount_pct"] if acct else None,
        onboarding=frozenset(r["aspect"] for r in g["onboarding"]),
        daily_users={r["day"]: frozenset(r["users"]) for r in g["users"]},
        daily_events={(r["day"], r["event"]): r["events"] for r in g["events"]},
        nps={r["contact_id"]: (r["answered_at"].date(), r["score"]) for r in g["nps"]},
        tickets_seen=bool(g["tickets"]),
        open_tickets=tuple((r["severity"], r["bug_linked"]) for r in g["tickets"] if r["status"] != "closed"),
        contacts=tuple(Contact(r["contact_id"], r["is_champion"], r["departed"], r["changed_at"], r["influence"])
                       for r in g["contacts"]),
        goals=tuple(r["status"] for r in g["goals"]),
        milestones=milestone_states,
    )  # fmt: skip


def _envelope(event: ev.HealthEvent, at: datetime) -> Envelope:
    return event.envelope(event_id=str(uuid.uuid4()), source=SOURCE, time=at)


async def recompute(
    conn: asyncpg.Connection, *, claimed: Sequence[tuple[str, int | None]], now: datetime, settings: HealthSettings
) -> int:
    """Score the claimed accounts inside the caller's transaction. Returns events queued."""
    accounts = sorted({a for a, _ in claimed})
    if not accounts:
        return 0
    cards = await load_cards(conn)
    defs = [ms.MilestoneDef(**r["definition"]) for r in await repository.milestone_defs(conn)]
    rows = await score_repository.fact_rows(
        conn, account_ids=accounts, since=now.date() - timedelta(days=settings.history_days)
    )
    grouped: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for name, records in rows.items():
        for r in records:
            grouped[r["account_id"]][name].append(r)
    base7 = await score_repository.last_before(conn, account_ids=accounts, before=now - timedelta(days=7))
    base30 = await score_repository.last_before(conn, account_ids=accounts, before=now - timedelta(days=30))

    envelopes: list[Envelope] = []
    score_rows: list[dict[str, Any]] = []
    milestone_rows: list[tuple[str, str, str, date | None, int | None]] = []
    for account in accounts:
        g = grouped[account]
        acct = g["accounts"][0] if g["accounts"] else None
        start = acct["onboarding_started_at"] if acct else None
        old_states = {r["milestone_key"]: r for r in g["milestones"]}
        states: list[str] = []
        hits_by_key: dict[str, list[ms.Hit]] = defaultdict(list)
        for h in g["hits"]:
            hits_by_key[h["milestone_key"]].extend([ms.Hit(h["day"], h["user_id"])] * h["hits"])
        for d in defs:
            st = ms.evaluate(d, hits_by_key[d.key], onboarding_start=start, today=now.date())
            states.append(st.state)
            old = old_states.get(d.key)
            if old is None or old["state"] != st.state or old["achieved_on"] != st.achieved_on:
                milestone_rows.append((account, d.key, st.state, st.achieved_on, st.time_to_value_days))
                if st.state == "achieved" and (old is None or old["state"] != "achieved"):
                    assert st.achieved_on is not None
                    envelopes.append(
                        _envelope(
                            ev.MilestoneAchieved(
                                account_id=account,
                                milestone_key=d.key,
                                name=d.name,
                                achieved_on=st.achieved_on,
                                time_to_value_days=st.time_to_value_days,
                            ),
                            now,
                        )
                    )
                elif st.state == "missed" and (old is None or old["state"] != "missed"):
                    deadline = start + timedelta(days=d.deadline_days) if start else None
                    envelopes.append(
                        _envelope(
                            ev.MilestoneMissed(account_id=account, milestone_key=d.key, name=d.name, deadline=deadline),
                            now,
                        )
                    )

        choice = choose(cards, acct["tier"] if acct else None, acct["segment"] if acct else None)
        score = evaluate(choice.card, _facts(account, g, tuple(states)), now)
        health_row = g["health"][0] if g["health"] else None
        previous = _previous(health_row)
        why = reasons(previous, score)
        emitted = None
        if health_row is not None and health_row["emitted_value"] is not None:
            emitted = Score(
                account, "", 0, health_row["emitted_value"], Colour(health_row["emitted_colour"]), True, (), now
            )
        emitted_value: float | None = emitted.value if emitted else None
        emitted_colour: ev.Colour | None = emitted.colour.value if emitted else None  # type: ignore[assignment]
        if meaningful(emitted, score, settings.min_delta):
            reason_models = [ev.Reason(key=r.key, delta=r.delta, text=r.text) for r in why]
            envelopes.append(
                _envelope(
                    ev.HealthScoreChanged(
                        account_id=account,
                        old_value=emitted_value,
                        new_value=score.value,
                        old_colour=emitted_colour,
                        new_colour=score.colour.value,
                        delta=round(score.value - emitted_value, 2) if emitted_value is not None else None,
                        sufficient=score.sufficient,
                        scorecard_id=score.scorecard_id,
                        scorecard_version=score.scorecard_version,
                        reasons=reason_models,
                        computed_at=now,
                    ),
                    now,
                )
            )
            if emitted_colour != score.colour.value:
                envelopes.append(
                    _envelope(
                        ev.HealthColourChanged(
                            account_id=account,
                            old_colour=emitted_colour,
                            new_colour=score.colour.value,
                            value=score.value,
                            reasons=reason_models,
                            computed_at=now,
                        ),
                        now,
                    )
                )
            emitted_value, emitted_colour = score.value, score.colour.value  # type: ignore[assignment]
        changed = (
            previous is None
            or abs(previous.value - score.value) >= 0.01
            or previous.colour != score.colour
            or previous.scorecard_version != score.scorecard_version
            or previous.scorecard_id != score.scorecard_id
        )
        score_rows.append({
            "account_id": account, "computed_at": now, "value": score.value, "colour": score.colour.value,
            "sufficient": score.sufficient, "scorecard_id": score.scorecard_id,
            "scorecard_version": score.scorecard_version, "measures": _measures_json(score),
            "reasons": [{"key": r.key, "delta": r.delta, "text": r.text} for r in why] if changed
            else (health_row["reasons"] if health_row else []),
            "trend_7d": round(score.value - base7[account], 2) if account in base7 else None,
            "trend_30d": round(score.value - base30[account], 2) if account in base30 else None,
            "emitted_value": emitted_value, "emitted_colour": emitted_colour, "changed": changed,
        })  # fmt: skip

    await score_repository.save_scores(conn, rows=score_rows, history=[r for r in score_rows if r["changed"]])
    await score_repository.save_milestones(conn, rows=milestone_rows)
    jobs: dict[int, int] = defaultdict(int)
    for _, job in claimed:
        if job is not None:
            jobs[job] += 1
    await score_repository.job_progress(conn, done=jobs)
    await outbox.add(conn, envelopes)
    _scored.add(len(accounts))
    return len(envelopes)

"""Champions, goals, problems and requests inside a re-score: build each contact's and goal's facts from
the loaded rows, let the pure core place them (domain.champions, domain.goals), keep what changed and
announce it through the unit of work. Called by ``recompute`` for every account it scores."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg

from bellwether_shared.events import health as ev
from bellwether_shared.tiers import Tiers
from bellwether_shared.uow import UnitOfWork
from health import assessment_repository as repo
from health.domain import champions as ch, expansion as xp, goals as gl
from health.domain.commands import ContactAssessment
from health.domain.model import AccountFacts, MeasureType, Score


@dataclass(frozen=True, slots=True)
class Assessed:
    """What the measures read (domain.model.AccountFacts takes these)."""

    champions: tuple[ch.Assessment, ...] = ()
    coverage: ch.Coverage | None = None
    goals: tuple[str, ...] = ()
    goal_notes: tuple[str, ...] = ()
    problems: tuple[tuple[str, int], ...] = ()
    requests_seen: bool = False
    blocking_open: tuple[str, ...] = ()


def _contact(r: Any, answers: Mapping[str, Any], tickets: Sequence[Any], requests: Sequence[Any]) -> ch.ContactFacts:
    a = answers.get(r["contact_id"])
    return ch.ContactFacts(
        contact_id=r["contact_id"],
        name=r["name"],
        title=r["title"],
        role=r["role"],
        seniority=r["seniority"],
        is_champion=r["is_champion"],
        departed=r["departed"],
        changed_at=r["changed_at"],
        can_promote=r["can_promote"],
        owns_relationship_next_12m=r["owns_relationship_next_12m"],
        stated_influence=r["influence"],
        stated_engagement=r["engagement"],
        stated_delight=r["delight"],
        linked=bool(r["linked"]),
        active_days=int(r["active_days"] or 0),
        nps=a["score"] if a else None,
        nps_comment=a["comment"] if a else None,
        nps_polarity=a["comment_polarity"] if a else None,
        tickets=tuple(ch.Ticket(t["severity"], t["opened_at"], t["closed_at"]) for t in tickets),
        requests=tuple(ch.Request(q["status"], q["first_seen_at"]) for q in requests),
    )


@dataclass
class Assessor:
    uow: UnitOfWork
    tiers: Tiers
    survey_days: int = 180
    _contacts: list[ContactAssessment] = field(default_factory=list)
    _coverage: list[tuple[str, int, int, Any]] = field(default_factory=list)
    _goals: list[tuple[str, str, str, float | None, float | None]] = field(default_factory=list)
    _expansion: list[tuple[Any, ...]] = field(default_factory=list)
    onboarding_days: int = 60
    _overdue: list[tuple[Any, ...]] = field(default_factory=list)

    def account(self, account_id: str, g: Mapping[str, list[Any]], tier: str | None) -> Assessed:
        champions, coverage = self._champions(account_id, g, tier)
        statuses, notes = self._goals_of(account_id, g)
        requests = {r["request_id"]: r for r in g["requests"]}
        blocking = tuple(
            sorted(
                r["title"] for r in requests.values() if r["blocking"] and r["status"] not in ("shipped", "declined")
            )
        )
        return Assessed(
            champions=champions,
            coverage=coverage,
            goals=statuses,
            goal_notes=notes,
            problems=tuple((p["description"], p["severity"]) for p in g["problems"]),
            requests_seen=bool(requests),
            blocking_open=blocking,
        )

    def _champions(
        self, account_id: str, g: Mapping[str, list[Any]], tier: str | None
    ) -> tuple[tuple[ch.Assessment, ...], ch.Coverage | None]:
        if not g["contacts"]:
            return (), None
        now = self.uow.now
        survey_since = now.date().toordinal() - self.survey_days
        answers = {a["contact_id"]: a for a in g["answers"] if a["answered_at"].date().toordinal() >= survey_since}
        tickets: dict[str, list[Any]] = defaultdict(list)
        for t in g["contact_tickets"]:
            tickets[t["requester_contact_id"]].append(t)
        asked: dict[str, list[Any]] = defaultdict(list)
        for q in g["requests"]:
            if q["contact_id"]:
                asked[q["contact_id"]].append(q)
        facts = [_contact(r, answers, tickets[r["contact_id"]], asked[r["contact_id"]]) for r in g["contacts"]]
        assessed = tuple(ch.assess(c, now=now) for c in facts)
        cov = ch.coverage(facts, assessed, target=self.tiers.policy(tier).champion_target, now=now)
        before = {r["contact_id"]: ch.Previous(r["quadrant"], r["healthy"], r["influential"]) for r in g["assessed"]}
        old_cov = g["coverage"][0]["healthy_influential"] if g["coverage"] else None
        changes = ch.changes(before, assessed, coverage_before=old_cov, coverage_now=cov.healthy_influential)
        self._announce(account_id, changes, cov)
        return assessed, cov

    def _announce(self, account_id: str, changes: ch.Changes, cov: ch.Coverage) -> None:
        now = self.uow.now
        for a in changes.assessed:
            self._contacts.append(
                ContactAssessment(
                    account_id=account_id,
                    contact_id=a.contact_id,
                    engagement=a.engagement,
                    delight=a.delight,
                    influence=a.influence,
                    quadrant=a.quadrant,
                    healthy=a.healthy,
                    influential=a.influential,
                    why=list(a.why),
                    assessed_at=now,
                )
            )
            self.uow.emit(
                ev.ContactAssessed(
                    account_id=account_id,
                    contact_id=a.contact_id,
                    label=a.label,
                    engagement=a.engagement,
                    delight=a.delight,
                    influence=a.influence,
                    quadrant=a.quadrant,
                    healthy=a.healthy,
                    influential=a.influential,
                    why=list(a.why),
                    assessed_at=now,
                )
            )
        for a, was in changes.at_risk:
            self.uow.emit(
                ev.ChampionAtRisk(
                    account_id=account_id,
                    contact_id=a.contact_id,
                    label=a.label,
                    old_quadrant=was,  # type: ignore[arg-type]
                    new_quadrant=a.quadrant,
                    influence=a.influence,
                    why=list(a.why),
                    assessed_at=now,
                )
            )
        if changes.coverage_changed:
            self._coverage.append((account_id, cov.healthy_influential, cov.target, now))
            self.uow.emit(
                ev.ChampionCoverageChanged(
                    account_id=account_id,
                    healthy_influential=cov.healthy_influential,
                    target=cov.target,
                    assessed_at=now,
                )
            )

    def _goals_of(self, account_id: str, g: Mapping[str, list[Any]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        statuses: list[str] = []
        notes: list[str] = []
        for r in g["goal_rows"]:
            current = r["linked_value"] if r["linked_event"] is not None else r["current_value"]
            goal = gl.Goal(
                r["goal_id"], r["name"], r["status"], r["baseline"], r["target_value"], current, r["due_date"]
            )
            p = gl.evaluate(goal, today=self.uow.now.date())
            statuses.append(p.status)
            if p.status != "in_progress" or p.progress_pct is not None:
                pct = f" ({p.progress_pct:.0f} % of the way)" if p.progress_pct is not None else ""
                notes.append(f"'{r['name'][:60]}' {p.status.replace('_', ' ')}{pct}")
            old = (r["computed_status"], r["progress_pct"], r["computed_value"])
            if p.computed and old != (p.status, p.progress_pct, p.current_value):
                self._goals.append((account_id, r["goal_id"], p.status, p.progress_pct, p.current_value))
                self.uow.emit(
                    ev.GoalProgressChanged(
                        account_id=account_id,
                        goal_id=r["goal_id"],
                        name=r["name"],
                        old_status=r["computed_status"],
                        status=p.status,
                        progress_pct=p.progress_pct,
                        current_value=p.current_value,
                        target_value=r["target_value"],
                        due_date=r["due_date"],
                        computed_at=self.uow.now,
                    )
                )
        return tuple(statuses), tuple(notes)

    def expansion(self, account_id: str, g: Mapping[str, list[Any]], facts: AccountFacts, score: Score) -> None:
        """Is the account ready to grow (domain.expansion)? Announced once, on becoming ready."""
        today = self.uow.now.date()
        recent, before = today - timedelta(days=29), today - timedelta(days=59)
        users = {d: who for d, who in facts.daily_users.items()}
        now_users = set().union(*(w for d, w in users.items() if d >= recent))
        old_users = set().union(*(w for d, w in users.items() if before <= d < recent))
        events = sum(n for (d, _), n in facts.daily_events.items() if d >= recent)
        events_before = sum(n for (d, _), n in facts.daily_events.items() if before <= d < recent)
        breadth = next(
            (m.raw for m in score.measures if m.type is MeasureType.FEATURE_BREADTH and m.raw is not None), None
        )
        r = xp.assess(
            xp.Signals(
                seats=facts.seats,
                active_users=len(now_users),
                active_users_before=len(old_users),
                events=events,
                events_before=events_before,
                breadth_pct=breadth,
                healthy_champions=facts.coverage.healthy_influential if facts.coverage else 0,
                goal_statuses=facts.goals,
                colour=score.colour.value,
                severe_open=sum(1 for sev, _ in facts.open_tickets if sev in ("urgent", "high")),
                blocking_open=len(facts.blocking_open),
            )
        )
        was = g["expansion"][0] if g["expansion"] else None
        if was is None or (was["ready"], was["growth_type"], was["missing"]) != (
            r.ready,
            r.growth_type,
            list(r.missing),
        ):
            self._expansion.append((account_id, r.ready, r.growth_type, list(r.reasons), list(r.missing), self.uow.now))
        if xp.announce(bool(was and was["ready"]), r):
            assert r.growth_type is not None
            self.uow.emit(
                ev.ExpansionReady(
                    account_id=account_id,
                    growth_type=r.growth_type,  # type: ignore[arg-type]
                    reasons=list(r.reasons),
                    seats=facts.seats,
                    active_users=len(now_users),
                    assessed_at=self.uow.now,
                )
            )

    def onboarding(self, account_id: str, g: Mapping[str, list[Any]], facts: AccountFacts) -> None:
        """Announce, once, an onboarding the customer has not confirmed ``onboarding_days`` after kickoff."""
        start = facts.onboarding_started_at
        if start is None or g["onboarding_overdue"] or facts.onboarding >= {"technical", "process"}:
            return
        days = (self.uow.now.date() - start).days
        if days <= self.onboarding_days:
            return
        self._overdue.append((account_id, self.uow.now))
        # its time is the day it fell due: an onboarding of long ago, learnt from an import, alerts nobody
        due = min(self.uow.now, datetime.combine(start + timedelta(days=self.onboarding_days + 1), time.min, UTC))
        overdue = ev.OnboardingOverdue(
            account_id=account_id,
            onboarding_started_at=start,
            days_since_kickoff=days,
            confirmed=sorted(facts.onboarding),
        )
        self.uow.emit(overdue, at=due)

    async def save(self, conn: asyncpg.Connection) -> None:
        await repo.save_onboarding_overdue(conn, rows=self._overdue)
        await repo.save_expansion(conn, rows=self._expansion)
        await repo.save_assessments(conn, rows=self._contacts)
        await repo.save_coverage(conn, rows=self._coverage)
        await repo.save_goal_progress(conn, rows=self._goals)

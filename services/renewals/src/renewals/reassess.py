"""Re-assess renewal risk (on every relevant event, and on the sweep as days pass), and announce
only changes: risk changed on entering or leaving risk, renewal upcoming on entering each window.
State and events are written through the caller's unit of work (one transaction, outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.champions import DEPARTURE_COUNTS_DAYS
from bellwether_shared.events import renewals as ev
from bellwether_shared.tiers import Tiers
from bellwether_shared.uow import UnitOfWork
from renewals import opportunity_repository as opps, repository
from renewals.domain import risk

SOURCE = "bellwether/renewals"
PAGE = 2000


@dataclass(frozen=True, slots=True)
class Horizon:
    """What a re-assessment reads of the settings: how long before its end a renewal opens (risk may be
    raised from then on), the window of the "health falling" factor, and the tier vocabulary (escalation)."""

    lead_days: int = 120
    trend_days: int = 30
    tiers: Tiers = field(default_factory=Tiers)


def _inputs(r: asyncpg.Record, today: date, horizon: Horizon) -> risk.Inputs:
    score, before = r["health_score"], r["score_before"]
    return risk.Inputs(
        days_to_renewal=(r["renewal_date"] - today).days,
        colour=r["health_colour"],
        usage_data=r["health_usage_data"] is not False,
        score=score,
        trend=(score - before) if score is not None and before is not None else None,
        champion_departed=bool(r["champion_departed"]),
        exposure=r["exposure"],
        discount_pct=float(r["discount_pct"]) if r["discount_pct"] is not None else None,
        missed_milestones=int(r["missed"]),
        open_severe_tickets=int(r["severe"]),
        deal_flags=tuple(sorted(set(r["flags"]))),
        healthy_champions=r["healthy_champions"],
        problem_severity=r["problem_severity"],
        temporary_discount=_ending(r),
        value_review=(r["value_review"][0], date.fromisoformat(r["value_review"][1])) if r["value_review"] else None,
        horizon_days=horizon.lead_days,
        escalate_within_days=horizon.tiers.policy(r["tier"]).escalate_within_days,
    )


def _ending(r: asyncpg.Record) -> tuple[str, date] | None:
    """The term's temporary discount when it ends by the renewal date (the price rises at renewal)."""
    ends = r["temporary_discount_expires_on"]
    if ends is None or ends > r["renewal_date"]:
        return None
    return r["temporary_discount_label"], ends


async def reassess(
    uow: UnitOfWork, *, account_ids: Sequence[str] | None, horizon: Horizon, now: datetime | None = None
) -> int:
    """Re-assess open renewals (of ``account_ids``, or all of them) as of ``now`` (default: the
    unit's time). Returns how many changed."""
    conn, now = uow.conn, now or uow.now
    weights = risk.Weights(**(await repository.get_setting(conn, key="risk_weights")))
    after, changed = "", 0
    while True:
        rows = await opps.risk_inputs(
            conn,
            account_ids=account_ids,
            trend_since=now - timedelta(days=horizon.trend_days),
            after=after,
            limit=PAGE,
            departed_since=now - timedelta(days=DEPARTURE_COUNTS_DAYS),
        )
        if not rows:
            return changed
        updates: list[tuple[str, float, str, bool, int | None, list[Any], bool]] = []
        for r in rows:
            inputs = _inputs(r, now.date(), horizon)
            a = risk.assess(inputs, weights)
            reasons = [asdict(x) for x in a.reasons]
            same = (a.points, a.level, a.at_risk, a.window, reasons) == (
                r["risk_points"],
                r["risk_level"],
                r["at_risk"],
                r["last_window"],
                r["risk_reasons"],
            )
            if same and (r["escalated_at"] is not None or not a.escalate):
                continue
            say = risk.announce(
                was_at_risk=r["at_risk"],
                last_window=r["last_window"],
                now=a,
                was_escalated=r["escalated_at"] is not None,
            )
            updates.append((r["opportunity_id"], a.points, a.level, a.at_risk, a.window, reasons, say.escalated))
            _announce(uow, r, inputs, a, say, horizon, now, assessed=not same)
        await opps.save_risk(conn, rows=updates, at=now)
        changed += len(updates)
        after = rows[-1]["opportunity_id"]
        if len(rows) < PAGE:
            return changed


def _announce(
    uow: UnitOfWork,
    r: asyncpg.Record,
    inputs: risk.Inputs,
    a: risk.Risk,
    say: risk.Announcements,
    horizon: Horizon,
    now: datetime,
    *,
    assessed: bool,
) -> None:
    reasons = [ev.RiskReason(**asdict(x)) for x in a.reasons]
    account, opp, date_, days = r["account_id"], r["opportunity_id"], r["renewal_date"], inputs.days_to_renewal
    arr, owner = float(r["arr"]), r["owner_id"]
    assessment = ev.RenewalRiskAssessed(
        account_id=account,
        opportunity_id=opp,
        at_risk=a.at_risk,
        level=a.level,
        points=a.points,
        renewal_date=date_,
        days_to_renewal=days,
        arr=arr,
        owner_id=owner,
        reasons=reasons,
    )
    if assessed:  # the assessment moved (points, level, factors): the account view follows it, nobody is paged
        uow.emit(assessment, at=now)
    if say.risk_changed:  # entered or left risk: the same assessment, announced as the change it is
        uow.emit(ev.RenewalRiskChanged(**assessment.model_dump()), at=now)
    tier = horizon.tiers.name(r["tier"])
    if say.escalated and inputs.escalate_within_days is not None:
        escalated = assessment.model_dump(exclude={"at_risk"})
        uow.emit(
            ev.RenewalRiskEscalated(**escalated, tier=tier, escalate_within_days=inputs.escalate_within_days), at=now
        )
    if say.window_entered and a.window is not None:
        uow.emit(
            ev.RenewalUpcoming(
                account_id=account,
                opportunity_id=opp,
                renewal_date=date_,
                days_to_renewal=days,
                window=a.window,
                arr=arr,
                owner_id=owner,
                owner_role=r["owner_role"],
                at_risk=a.at_risk,
                renewal_task=horizon.tiers.policy(r["tier"]).renewal_task == "always" and r["last_window"] is None,
                tier=tier,
            ),
            at=now,
        )

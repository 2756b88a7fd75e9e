"""Renewals as a non-event (domain.md, "Renewals are a non-event"): a renewal that closes after its
date, or whose risk was first seen inside its last ``last_days`` (30) days, is a failure to report,
per owner, not a surprise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Renewal:
    opportunity_id: str
    account_id: str
    owner_id: str | None
    renewal_date: date
    closed_at: datetime | None
    first_at_risk_at: datetime | None


@dataclass(frozen=True, slots=True)
class Late:
    closed_late: bool  # closed after its date, or still open past it
    late_risk: bool  # first at risk inside the last ``last_days`` days before the date (or after it)
    days_late: int | None  # how far past the date it closed (or, open, is today)
    risk_days_before: int | None  # how many days before the date the risk first showed


def judge(r: Renewal, *, today: date, last_days: int = 30) -> Late:
    end = r.closed_at.date() if r.closed_at is not None else today
    late_by = (end - r.renewal_date).days
    closed_late = late_by > 0
    risk_before = (r.renewal_date - r.first_at_risk_at.date()).days if r.first_at_risk_at is not None else None
    late_risk = risk_before is not None and risk_before < last_days
    return Late(closed_late, late_risk, late_by if closed_late else None, risk_before)


@dataclass
class OwnerTally:
    owner_id: str | None
    due: int = 0
    closed_late: int = 0
    late_risk: int = 0
    failures: list[dict[str, object]] = field(default_factory=list)


def by_owner(renewals: Iterable[Renewal], *, today: date, last_days: int = 30) -> list[OwnerTally]:
    """Per owner, the renewals due (date up to today) and which of them failed which way; owners with
    the most failures first."""
    tallies: dict[str | None, OwnerTally] = {}
    for r in renewals:
        if r.renewal_date > today:
            continue
        t = tallies.setdefault(r.owner_id, OwnerTally(r.owner_id))
        t.due += 1
        j = judge(r, today=today, last_days=last_days)
        t.closed_late += j.closed_late
        t.late_risk += j.late_risk
        if j.closed_late or j.late_risk:
            t.failures.append(
                {
                    "opportunity_id": r.opportunity_id,
                    "account_id": r.account_id,
                    "renewal_date": r.renewal_date,
                    "closed": r.closed_at is not None,
                    "days_late": j.days_late,
                    "risk_days_before": j.risk_days_before,
                }
            )
    return sorted(tallies.values(), key=lambda t: (-(t.closed_late + t.late_risk), t.owner_id or ""))


def since(today: date, days: int) -> date:
    return today - timedelta(days=days)

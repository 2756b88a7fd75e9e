"""The attention queue (pure): which of an owner's accounts need them first. Priority grows with the
renewal's risk, the ARR at stake and the nearness of the renewal date:

    priority = (0.1 + risk points / 100) × ARR × nearness,   nearness = 60 / (60 + days to renewal)

so a healthy account still ranks by size and date, a risky one far ahead of it; an account without an
open renewal counts as a year away. Each entry says why, in words, with the promised touches it is owed
(a business review past due shows in the queue, not only in the account's view)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NO_RENEWAL_DAYS = 365


@dataclass(frozen=True, slots=True)
class Candidate:
    account_id: str
    name: str | None
    arr: float
    days_to_renewal: int | None  # None: no open renewal
    risk_points: float
    risk_reasons: Sequence[str] = ()
    health_colour: str | None = None
    touches_overdue: Sequence[str] = ()  # promised touches past due, in words ("business review 9 days overdue")


@dataclass(frozen=True, slots=True)
class Entry:
    account_id: str
    name: str | None
    priority: float
    arr: float
    days_to_renewal: int | None
    risk_points: float
    health_colour: str | None
    why: str
    touches_overdue: tuple[str, ...] = ()


def nearness(days_to_renewal: int | None) -> float:
    days = NO_RENEWAL_DAYS if days_to_renewal is None else max(0, days_to_renewal)
    return 60 / (60 + days)


def priority(c: Candidate) -> float:
    return round((0.1 + max(0.0, c.risk_points) / 100) * max(0.0, c.arr) * nearness(c.days_to_renewal), 2)


def _why(c: Candidate) -> str:
    when = "no open renewal" if c.days_to_renewal is None else f"renews in {c.days_to_renewal} days"
    risk = f"risk {c.risk_points:.0f}" + (f" ({', '.join(c.risk_reasons[:3])})" if c.risk_reasons else "")
    owed = f"; owed: {', '.join(c.touches_overdue)}" if c.touches_overdue else ""
    return f"{when}, {c.arr:,.0f} ARR, {risk}{owed}"


def queue(candidates: Iterable[Candidate]) -> list[Entry]:
    out = [
        Entry(
            c.account_id,
            c.name,
            priority(c),
            c.arr,
            c.days_to_renewal,
            c.risk_points,
            c.health_colour,
            _why(c),
            tuple(c.touches_overdue),
        )
        for c in candidates
    ]
    return sorted(out, key=lambda e: (-e.priority, e.account_id))

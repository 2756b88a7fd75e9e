"""Champion health, per person, the way practitioners map champions on a quadrant (engagement ×
delight, the bubble's size its influence). Pure: facts in, assessments and what to announce out.

* **Engagement**: the contact's own product use (active days of their linked users), whether they
  answer surveys, and a healthy volume of support requests.
* **Delight**: their NPS (and the tone of its comment), how fast their tickets are resolved, whether
  the features they asked for are delivered.
* **Influence**: seniority (or the job title), whether they can promote the product, whether they will
  own the relationship in 12 months; an influence the CRM states explicitly wins.

Each observed component that has data counts; a component without data is left out (never zero).
With no observed data, the CRM's own engagement / delight level stands in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bellwether_shared.champions import departure_counts

Quadrant = Literal[
    "engaged_delighted",
    "engaged_not_delighted",
    "not_engaged_delighted",
    "not_engaged_not_delighted",
    "departed",
    "unknown",
]
Influence = Literal["high", "medium", "low"]
HEALTHY: Quadrant = "engaged_delighted"
LEVEL_SCORE = {"high": 85.0, "medium": 55.0, "low": 20.0}
SENIORITY_POINTS = {"executive": 3, "vp": 3, "director": 2, "manager": 1, "individual": 0}
TITLE_HINTS = (
    ("chief", 3),
    ("ceo", 3),
    ("cto", 3),
    ("coo", 3),
    ("cfo", 3),
    ("vp", 3),
    ("vice president", 3),
    ("head of", 2),
    ("director", 2),
    ("manager", 1),
    ("lead", 1),
)
TICKET_SLA_DAYS = {"urgent": 1, "high": 3, "medium": 7, "low": 14}
ENGAGED_FROM = 50.0
DELIGHTED_FROM = 50.0


@dataclass(frozen=True, slots=True)
class Ticket:
    severity: str
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Request:
    status: str  # open / planned / in_progress / shipped / declined
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class ContactFacts:
    contact_id: str
    name: str | None = None
    title: str | None = None
    role: str | None = None
    seniority: str | None = None
    is_champion: bool = False
    departed: bool = False
    changed_at: datetime | None = None
    can_promote: bool | None = None
    owns_relationship_next_12m: bool | None = None
    stated_influence: str | None = None  # the CRM's own level, if any
    stated_engagement: str | None = None
    stated_delight: str | None = None
    linked: bool = False  # a product user is linked (by user id or e-mail)
    active_days: int = 0  # days with product use in the last 30, over the linked users
    nps: int | None = None  # latest answer in the survey window
    nps_comment: str | None = None
    nps_polarity: float | None = None  # -1 .. 1, the comment's tone
    tickets: tuple[Ticket, ...] = ()  # opened by this contact in the last 90 days
    requests: tuple[Request, ...] = ()  # feature requests and bugs this contact asked for


@dataclass(frozen=True, slots=True)
class Assessment:
    contact_id: str
    label: str  # "the VP Operations", "Ann Lee"
    engagement: float | None
    delight: float | None
    influence: Influence | None
    quadrant: Quadrant
    healthy: bool
    influential: bool
    departed: bool
    why: tuple[str, ...] = field(default_factory=tuple)

    @property
    def healthy_influential(self) -> bool:
        return self.healthy and self.influential and not self.departed


def _mean(parts: Sequence[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in parts)
    return round(sum(v * w for v, w in parts) / total, 1) if total else None


def engagement(c: ContactFacts, *, now: datetime) -> tuple[float | None, list[str]]:
    parts: list[tuple[float, float]] = []
    why: list[str] = []
    if c.linked:
        parts.append((min(100.0, c.active_days * 100 / 8), 0.6))  # 8 active days a month: fully engaged
        why.append(f"used the product on {c.active_days} of the last 30 days")
    if c.nps is not None:
        parts.append((100.0, 0.2))
        why.append("answers surveys")
    opened = len(c.tickets)
    if opened:
        parts.append((100.0 if opened <= 6 else 70.0, 0.2))  # asking is engagement; a flood, less healthy
        why.append(f"{opened} support request{'s' if opened != 1 else ''} in 90 days")
    value = _mean(parts)
    if value is None and c.stated_engagement in LEVEL_SCORE:
        return LEVEL_SCORE[c.stated_engagement], [f"engagement stated as {c.stated_engagement}"]
    return value, why


def _slow(t: Ticket, now: datetime) -> bool:
    limit = timedelta(days=TICKET_SLA_DAYS.get(t.severity, 7))
    return ((t.closed_at or now) - t.opened_at) > limit


def delight(c: ContactFacts, *, now: datetime) -> tuple[float | None, list[str]]:
    parts: list[tuple[float, float]] = []
    why: list[str] = []
    if c.nps is not None:
        score = c.nps * 10.0
        if c.nps_polarity is not None:
            score = min(100.0, max(0.0, score + 15 * c.nps_polarity))
        parts.append((score, 0.5))
        why.append(f"NPS {c.nps}" + (f' ("{c.nps_comment[:60]}")' if c.nps_comment else ""))
    if c.tickets:
        slow = sum(1 for t in c.tickets if _slow(t, now))
        parts.append((100.0 * (len(c.tickets) - slow) / len(c.tickets), 0.3))
        if slow:
            why.append(f"{slow} slow ticket{'s' if slow != 1 else ''}")
        else:
            why.append("tickets resolved in time")
    waiting = [
        r for r in c.requests if r.status not in ("shipped", "declined") and now - r.first_seen > timedelta(days=90)
    ]
    shipped = [r for r in c.requests if r.status == "shipped"]
    if shipped or waiting:
        parts.append((100.0 * len(shipped) / (len(shipped) + len(waiting)), 0.2))
        if shipped:
            why.append(f"{len(shipped)} requested feature{'s' if len(shipped) != 1 else ''} delivered")
        if waiting:
            why.append(f"{len(waiting)} request{'s' if len(waiting) != 1 else ''} waiting over 90 days")
    value = _mean(parts)
    if value is None and c.stated_delight in LEVEL_SCORE:
        return LEVEL_SCORE[c.stated_delight], [f"delight stated as {c.stated_delight}"]
    return value, why


def influence(c: ContactFacts) -> Influence | None:
    if c.stated_influence in ("high", "medium", "low"):
        return c.stated_influence  # type: ignore[return-value]
    points: int | None = SENIORITY_POINTS.get(c.seniority or "")
    if points is None:
        title = f" {(c.title or c.role or '').lower()} "
        points = next((p for hint, p in TITLE_HINTS if f" {hint} " in title or f" {hint}," in title), None)
    if points is None:
        return None
    points += 1 if c.can_promote else 0
    points -= 1 if c.owns_relationship_next_12m is False else 0
    return "high" if points >= 3 else "medium" if points == 2 else "low"


def label(c: ContactFacts) -> str:
    if c.title:
        return f"the {c.title}"
    return c.name or c.contact_id


def quadrant(engaged: float | None, delighted: float | None) -> Quadrant:
    if engaged is None or delighted is None:
        return "unknown"
    e = "engaged" if engaged >= ENGAGED_FROM else "not_engaged"
    d = "delighted" if delighted >= DELIGHTED_FROM else "not_delighted"
    return f"{e}_{d}"  # type: ignore[return-value]


def assess(c: ContactFacts, *, now: datetime) -> Assessment:
    eng, why_e = engagement(c, now=now)
    dl, why_d = delight(c, now=now)
    inf = influence(c)
    q: Quadrant = "departed" if c.departed else quadrant(eng, dl)
    words = {
        "engaged_delighted": "is engaged and delighted",
        "engaged_not_delighted": "is engaged but not delighted",
        "not_engaged_delighted": "is delighted but not engaged",
        "not_engaged_not_delighted": "is neither engaged nor delighted",
        "departed": "left the company",
        "unknown": "cannot be placed yet (too little data)",
    }[q]
    detail = [*why_e, *why_d]
    why = (f"{label(c)} {words}" + (f": {', '.join(detail)}" if detail and q != "departed" else ""),)
    return Assessment(
        contact_id=c.contact_id,
        label=label(c),
        engagement=eng,
        delight=dl,
        influence=inf,
        quadrant=q,
        healthy=q == HEALTHY,
        influential=inf == "high",
        departed=c.departed,
        why=why,
    )


@dataclass(frozen=True, slots=True)
class Coverage:
    healthy_influential: int
    target: int
    recently_departed: tuple[str, ...]  # labels of champions whose departure still counts

    @property
    def ratio(self) -> float:
        return min(1.0, self.healthy_influential / self.target) if self.target else 1.0


def coverage(
    contacts: Sequence[ContactFacts], assessments: Sequence[Assessment], *, target: int, now: datetime
) -> Coverage:
    gone = tuple(
        label(c)
        for c in contacts
        if c.departed and (c.is_champion or influence(c) == "high") and departure_counts(c.changed_at, now)
    )
    return Coverage(sum(1 for a in assessments if a.healthy_influential), target, gone)


def explain(cov: Coverage, assessments: Sequence[Assessment]) -> str:
    """The champion measure's reason: coverage, then who is off the healthy quadrant, influential first."""
    head = f"{cov.healthy_influential} of {cov.target} healthy influential champion{'s' if cov.target != 1 else ''}"
    if cov.recently_departed:
        head += f"; left recently: {', '.join(cov.recently_departed)}"
    order = {"high": 0, "medium": 1, "low": 2, None: 3}
    off = sorted((a for a in assessments if not a.healthy and not a.departed), key=lambda a: order[a.influence])
    return "; ".join([head, *(a.why[0] for a in off[:2])])


@dataclass(frozen=True, slots=True)
class Previous:
    quadrant: str
    healthy: bool
    influential: bool


@dataclass(frozen=True, slots=True)
class Changes:
    assessed: tuple[Assessment, ...]  # whose quadrant, influence or health changed (to store and announce)
    at_risk: tuple[tuple[Assessment, str], ...]  # influential champions who left the healthy quadrant (+ from)
    coverage_changed: bool


def changes(
    before: Mapping[str, Previous], after: Sequence[Assessment], *, coverage_before: int | None, coverage_now: int
) -> Changes:
    """What to announce: a contact whose placement changed; an influential champion who was healthy and
    no longer is (moved quadrant or left); the account's count of healthy influential champions."""
    assessed: list[Assessment] = []
    at_risk: list[tuple[Assessment, str]] = []
    for a in after:
        old = before.get(a.contact_id)
        if old is None or (old.quadrant, old.healthy, old.influential) != (a.quadrant, a.healthy, a.influential):
            assessed.append(a)
        if old is not None and old.healthy and old.influential and not a.healthy_influential:
            at_risk.append((a, old.quadrant))
    return Changes(tuple(assessed), tuple(at_risk), coverage_before != coverage_now)

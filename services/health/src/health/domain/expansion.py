"""Expansion readiness (pure): the seeds' adoption → renewal → expansion reasoning. An account is ready to
grow when it has broad adoption (active users near the licensed seats, or wide feature use), a healthy
influential champion, goals met or exceeded (when it has goals with an outcome), and organic growth
(active users or usage rising) — and nothing stands in the way: not red, no open severe ticket, no open
blocking request. The kind of growth it points to (more of the same: seats, consumption, a higher tier)
lets renewals route the opportunity by the ownership policy."""

from __future__ import annotations

from dataclasses import dataclass, field

SEAT_PRESSURE = 0.8  # active users ÷ seats from which adoption is broad
SEATS_FULL = 0.9  # … and from which the growth is more seats
BREADTH_BROAD = 60.0  # % of the key features used
USERS_GROWING = 10.0  # % more active users than the window before
USAGE_GROWING = 15.0  # % more events than the window before


@dataclass(frozen=True, slots=True)
class Signals:
    seats: int | None
    active_users: int  # in the last 30 days
    active_users_before: int  # in the 30 days before
    events: int
    events_before: int
    breadth_pct: float | None  # of the scorecard's key features, when it names them
    healthy_champions: int
    goal_statuses: tuple[str, ...] = ()
    colour: str = "unknown"
    severe_open: int = 0  # open urgent or high tickets
    blocking_open: int = 0  # open blocking feature requests and bugs


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    growth_type: str | None  # organic_seats / consumption / feature_tier
    reasons: tuple[str, ...] = field(default_factory=tuple)  # what makes it ready
    missing: tuple[str, ...] = field(default_factory=tuple)  # what is missing or in the way


def _pct(now: int, before: int) -> float | None:
    return None if before <= 0 else (now - before) / before * 100


def assess(s: Signals) -> Readiness:
    reasons: list[str] = []
    missing: list[str] = []
    use = s.active_users / s.seats if s.seats else None
    if use is not None and use >= SEAT_PRESSURE:
        reasons.append(f"{s.active_users} of {s.seats} seats active")
    elif s.breadth_pct is not None and s.breadth_pct >= BREADTH_BROAD:
        reasons.append(f"{s.breadth_pct:.0f} % of the key features in use")
    else:
        missing.append(
            "adoption is not broad yet" + (f" ({s.active_users} of {s.seats} seats active)" if s.seats else "")
        )
    if s.healthy_champions >= 1:
        reasons.append(f"{s.healthy_champions} healthy influential champion{'s' if s.healthy_champions > 1 else ''}")
    else:
        missing.append("no healthy influential champion")
    outcomes = [g for g in s.goal_statuses if g in ("met", "exceeded", "partially_met", "missed")]
    won = sum(1 for g in outcomes if g in ("met", "exceeded"))
    if outcomes and (won == 0 or "missed" in outcomes):
        missing.append("goals not met" if won == 0 else "a goal was missed")
    elif won:
        reasons.append(f"{won} goal{'s' if won > 1 else ''} met or exceeded")
    users_up, usage_up = _pct(s.active_users, s.active_users_before), _pct(s.events, s.events_before)
    if users_up is not None and users_up >= USERS_GROWING:
        reasons.append(f"active users up {users_up:.0f} %")
    elif usage_up is not None and usage_up >= USAGE_GROWING:
        reasons.append(f"usage up {usage_up:.0f} %")
    else:
        missing.append("no organic growth")
    if s.colour == "red":
        missing.append("health is red")
    if s.severe_open:
        missing.append(f"{s.severe_open} severe ticket{'s' if s.severe_open > 1 else ''} open")
    if s.blocking_open:
        missing.append(f"{s.blocking_open} blocking request{'s' if s.blocking_open > 1 else ''} open")
    ready = not missing
    return Readiness(ready, _growth(s, use, usage_up) if ready else None, tuple(reasons), tuple(missing))


def _growth(s: Signals, use: float | None, usage_up: float | None) -> str:
    if use is not None and use >= SEATS_FULL:
        return "organic_seats"
    if usage_up is not None and usage_up >= USAGE_GROWING:
        return "consumption"
    return "feature_tier"


def announce(was_ready: bool, now: Readiness) -> bool:
    """``expansion_ready`` once, on becoming ready (again after it was not)."""
    return now.ready and not was_ready

"""What support leaders need (pure): tickets carry a contact reason from a company's taxonomy, and
an account's support is read as a rate, not a count.

* **contact rate**: tickets opened in the window per active user; its trend against the window before;
* **bug share**: the share of those tickets linked to a bug (the product's fault, not the customer's);
* **top reasons**: the reasons most contacted about;
* **unfulfilled requests**: feature requests and bugs still open, with their age;
* **silence**: a large account that has not contacted support in ``silent_days`` is not healthy by that
  silence alone (no data, never a perfect score), and a healthy amount of contact is not a problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

DEFAULT_REASONS: tuple[str, ...] = (
    "how_to",
    "bug",
    "outage",
    "billing",
    "feature_gap",
    "onboarding",
    "account_admin",
    "other",
)
OPEN_REQUEST = frozenset({"open", "planned", "in_progress"})


@dataclass(frozen=True, slots=True)
class Window:
    """Tickets opened in one window: how many, how many linked to a bug, and by reason."""

    tickets: int = 0
    bugs: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    title: str
    status: str
    first_seen: date
    waiting_accounts: int = 1


@dataclass(frozen=True, slots=True)
class Support:
    """An account's (or the whole base's) support over a window."""

    window_days: int
    tickets: int
    active_users: int
    contact_rate: float | None  # tickets per active user (None: no active user to divide by)
    contact_rate_before: float | None
    trend_pct: float | None  # change of the rate against the window before (None: nothing to compare)
    bug_share: float | None  # None: no ticket
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    unfulfilled: list[tuple[str, str, int, int]] = field(default_factory=list)  # title, status, age days, accounts


def windows(counts: Iterable[tuple[bool, str | None, bool, int]]) -> tuple[Window, Window]:
    """The current window and the one before from (current?, reason, bug-linked, tickets) counts; a
    ticket sent without a reason counts as ``unclassified``."""
    reasons: dict[bool, dict[str, int]] = {True: {}, False: {}}
    tickets, bugs = {True: 0, False: 0}, {True: 0, False: 0}
    for current, reason, bug, n in counts:
        key = reason or "unclassified"
        reasons[current][key] = reasons[current].get(key, 0) + n
        tickets[current] += n
        bugs[current] += n if bug else 0
    return Window(tickets[True], bugs[True], reasons[True]), Window(tickets[False], bugs[False], reasons[False])


def rate(tickets: int, users: int) -> float | None:
    return round(tickets / users, 4) if users else None


def summarise(
    now: Window,
    before: Window,
    *,
    active_users: int,
    active_users_before: int,
    requests: Iterable[Request] = (),
    today: date,
    window_days: int = 30,
    top: int = 3,
) -> Support:
    """The window's rate against the one before it, its bug share, top reasons (a ticket with no reason
    counts as ``unclassified``) and the requests still waiting, oldest first."""
    r, r0 = rate(now.tickets, active_users), rate(before.tickets, active_users_before)
    trend = round((r - r0) / r0 * 100, 1) if r is not None and r0 else None
    reasons = sorted(now.reasons.items(), key=lambda x: (-x[1], x[0]))[:top]
    waiting = sorted(
        (
            (q.title, q.status, (today - q.first_seen).days, q.waiting_accounts)
            for q in requests
            if q.status in OPEN_REQUEST
        ),
        key=lambda x: (-x[2], x[0]),
    )
    return Support(
        window_days=window_days,
        tickets=now.tickets,
        active_users=active_users,
        contact_rate=r,
        contact_rate_before=r0,
        trend_pct=trend,
        bug_share=round(now.bugs / now.tickets, 4) if now.tickets else None,
        top_reasons=reasons,
        unfulfilled=waiting,
    )


def silent(*, seats: int | None, last_contact: date | None, today: date, from_seats: int, days: int) -> bool:
    """A large account (``from_seats`` or more) with no contact in ``days``: its silence says nothing good."""
    if seats is None or seats < from_seats:
        return False
    return last_contact is None or (today - last_contact).days > days

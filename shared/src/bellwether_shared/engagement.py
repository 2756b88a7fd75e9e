"""The engagement model: how an account is served (domain.md, Accounts and segmentation), chosen by
the experience it needs, not by its spend alone, and what each model promises (its entitlements).

* **high touch**: a named CSM, business reviews each quarter, an executive sponsor, a check-in every
  two weeks, a value review each month;
* **one-to-many**: pooled programmes (webinars, office hours, a yearly review), a CSM for a large book,
  a value review each quarter;
* **self-service**: in-product guidance and the help centre; no promised touches.

The CRM may set the model outright; otherwise a documented rule decides it from the tier, the growth
potential, the stated engagement preference and the spend, and says why in words a CSM can check ("mid tier, but
high growth potential: high touch"). Pure: no framework, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Model = Literal["high_touch", "one_to_many", "self_service"]
Growth = Literal["high", "medium", "low"]
MODELS: tuple[Model, ...] = get_args(Model)
GROWTH: tuple[Growth, ...] = get_args(Growth)
TouchKind = Literal["business_review", "check_in", "executive_sponsor_meeting", "onboarding_session", "value_review"]
TOUCH_KINDS: tuple[TouchKind, ...] = get_args(TouchKind)
SPONSOR_MEETING_DAYS = 182  # an executive sponsor meets the customer's executive twice a year
# a CSM's hours for one touch, preparation included: what a book's promised touches cost a year
TOUCH_HOURS: dict[TouchKind, float] = {
    "business_review": 3.0,
    "check_in": 0.5,
    "executive_sponsor_meeting": 2.0,
    "onboarding_session": 1.0,
    "value_review": 1.0,
}
TOUCH_HOURS_PER_CSM_YEAR = 600.0  # a third of a CSM's working year goes to promised touches
WORDS: dict[Model, str] = {"high_touch": "high touch", "one_to_many": "one-to-many", "self_service": "self-service"}


@dataclass(frozen=True, slots=True)
class Entitlements:
    """The touches a model promises: each one done or missed is a fact to record against it."""

    business_reviews_per_year: int
    executive_sponsor: bool
    onboarding_hours: int
    check_in_days: int | None  # a check-in at least this often (None: none promised)
    # a value review (the customer's verdict on the value received) at least this often: monthly for
    # high touch, quarterly for one-to-many (None: none promised)
    value_review_days: int | None = None


DEFAULT_ENTITLEMENTS: dict[Model, Entitlements] = {
    "high_touch": Entitlements(
        business_reviews_per_year=4, executive_sponsor=True, onboarding_hours=40, check_in_days=14, value_review_days=30
    ),
    "one_to_many": Entitlements(
        business_reviews_per_year=1, executive_sponsor=False, onboarding_hours=8, check_in_days=90, value_review_days=91
    ),
    "self_service": Entitlements(
        business_reviews_per_year=0, executive_sponsor=False, onboarding_hours=0, check_in_days=None
    ),
}


@dataclass(frozen=True, slots=True)
class Choice:
    model: Model
    decided_by: Literal["crm", "rule"]
    reason: str


HIGH_TOUCH_ARR = 100_000.0  # spend that warrants a person, unless the account has nothing left to grow
SELF_SERVICE_ARR = 10_000.0  # spend below which a person costs more than the account brings, if it won't grow
Spend = Literal["large", "small"]


def spend_of(arr: float | None) -> Spend | None:
    """What the rule reads of ARR: large, small, or in between (None, also when unknown)."""
    if arr is None:
        return None
    return "large" if arr >= HIGH_TOUCH_ARR else "small" if arr < SELF_SERVICE_ARR else None


def decide(
    *,
    tier: str | None,
    growth: Growth | None = None,
    preference: Model | None = None,
    crm_model: Model | None = None,
    arr: float | None = None,
) -> Choice:
    """The account's engagement model. ``tier`` is the tier vocabulary's name (strategic, mid, scale, or
    a company's own), ``preference`` how the customer says it wants to be served, ``arr`` what it spends.

    The rule, first match wins:
    1. the CRM's model, when it sets one;
    2. a customer that asks for self-service gets it, whatever its size;
    3. the strategic tier is high touch;
    4. high growth potential is high touch, whatever the tier;
    5. a large spend (ARR from HIGH_TOUCH_ARR) is high touch, unless its growth potential is low;
    6. a customer that asks for high touch gets it from the mid tier up, one-to-many below;
    7. low growth potential in the scale tier, or with a small spend (ARR under SELF_SERVICE_ARR), is
       self-service;
    8. anything else is one-to-many."""
    where = f"{tier} tier" if tier else "no tier"
    spend = spend_of(arr)
    if crm_model is not None:
        return Choice(crm_model, "crm", f"set in the CRM: {WORDS[crm_model]}")
    if preference == "self_service":
        return _rule("self_service", f"{where}, but the customer asks for self-service")
    if tier == "strategic":
        return _rule("high_touch", "strategic tier")
    if growth == "high":
        return _rule("high_touch", f"{where}, but high growth potential")
    if spend == "large" and growth != "low":
        return _rule("high_touch", f"{where}, but ARR {arr:,.0f} (from {HIGH_TOUCH_ARR:,.0f})")
    if preference == "high_touch":
        if tier == "scale":
            return _rule("one_to_many", "scale tier: asks for high touch, served one-to-many")
        return _rule("high_touch", f"{where}, and the customer asks for high touch")
    if growth == "low" and (tier == "scale" or spend == "small"):
        small = f", ARR {arr:,.0f}" if spend == "small" else ""
        return _rule("self_service", f"{where}{small}, low growth potential")
    return _rule("one_to_many", where + (f", {growth} growth potential" if growth else ""))


def _rule(model: Model, why: str) -> Choice:
    return Choice(model, "rule", f"{why}: {WORDS[model]}")


@dataclass(frozen=True, slots=True)
class TouchDue:
    """One promised touch: how often, when it was last held, when the next one is due and whether that
    day has passed. ``due_on`` is None when nothing says since when the promise runs (no start date and
    no touch held yet): unknown, never "overdue" by default."""

    kind: TouchKind
    every_days: int
    last_done: date | None
    due_on: date | None
    overdue: bool
    missed_since_last: int


def cadences(promised: Entitlements) -> dict[TouchKind, int]:
    """Days between promised touches, per kind (kinds not promised are left out)."""
    out: dict[TouchKind, int] = {}
    if promised.business_reviews_per_year > 0:
        out["business_review"] = round(365 / promised.business_reviews_per_year)
    if promised.check_in_days is not None:
        out["check_in"] = promised.check_in_days
    if promised.executive_sponsor:
        out["executive_sponsor_meeting"] = SPONSOR_MEETING_DAYS
    if promised.value_review_days is not None:
        out["value_review"] = promised.value_review_days
    return out


def touch_hours_per_year(promised: Entitlements) -> float:
    """A CSM's hours a year for one account's promised touches (onboarding, once, is not counted)."""
    return round(sum(365 / every * TOUCH_HOURS[kind] for kind, every in cadences(promised).items()), 2)


def touches_due(
    promised: Entitlements,
    *,
    done: Mapping[TouchKind, date],
    missed: Mapping[TouchKind, int],
    since: date | Mapping[TouchKind, date] | None,
    today: date,
) -> list[TouchDue]:
    """Each promised touch's next due day from the last one held (else from ``since``, when the
    promises started: one day for every kind, or a day per kind, a kind left out having none), and
    whether it is overdue today. ``missed``: touches recorded as missed since the last one held."""
    due: list[TouchDue] = []
    for kind, every in cadences(promised).items():
        last = done.get(kind)
        start = last or (since.get(kind) if isinstance(since, Mapping) else since)
        on = start + timedelta(days=every) if start is not None else None
        due.append(TouchDue(kind, every, last, on, on is not None and on < today, missed.get(kind, 0)))
    return due

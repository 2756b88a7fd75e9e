"""Deal quality at the sales-to-CS hand-off (domain.md, Deal quality at hand-off).

A bad deal will not renew without heroic CS effort or margin-killing concessions. Each criterion
that fails becomes a flag with its reason, and any one of them alone flags the deal: the band is the
worst failed criterion's (``BAND_OF``), never a points total. The score (100 minus the weights of the
failed criteria) only ranks deals in reports. A deal without the hand-off answers is banded
``answers_missing`` until CS records them at kickoff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from bellwether_shared.pricing import VALUE_THRESHOLD_DISCOUNT_PCT, below_value_threshold


class Criterion(StrEnum):
    SEVERE_PROBLEM = "severe_problem"
    LONG_TERM_USE = "long_term_use"
    RIGHT_BUYER = "right_buyer"
    TECHNOLOGY_READY = "technology_ready"
    ENOUGH_SERVICES = "enough_services"
    VALUE_PRICED = "value_priced"
    STANDARD_TERMS = "standard_terms"


WEIGHTS: dict[Criterion, float] = {
    Criterion.SEVERE_PROBLEM: 25,
    Criterion.LONG_TERM_USE: 15,
    Criterion.RIGHT_BUYER: 15,
    Criterion.TECHNOLOGY_READY: 15,
    Criterion.ENOUGH_SERVICES: 10,
    Criterion.VALUE_PRICED: 10,
    Criterion.STANDARD_TERMS: 10,
}


Band = Literal["good", "fair", "poor", "answers_missing"]
# each failed criterion alone flags the deal; these four mean it cannot succeed as sold, the others that
# it needs CS's challenge (more services, a price or terms to fix) at kickoff
BAND_OF: dict[Criterion, Band] = {
    Criterion.SEVERE_PROBLEM: "poor",
    Criterion.LONG_TERM_USE: "poor",
    Criterion.RIGHT_BUYER: "poor",
    Criterion.TECHNOLOGY_READY: "poor",
    Criterion.ENOUGH_SERVICES: "fair",
    Criterion.VALUE_PRICED: "fair",
    Criterion.STANDARD_TERMS: "fair",
}
_RANK: dict[Band, int] = {"good": 0, "fair": 1, "poor": 2}
FLAGGED: frozenset[Band] = frozenset({"fair", "poor"})


class Qualification(Protocol):
    """The hand-off answers as they arrive: one definition, the shared event model
    ``bellwether_shared.events.ingest.Qualification`` (the review API takes it too)."""

    @property
    def problem_severity(self) -> int: ...
    @property
    def expected_duration_months(self) -> int: ...
    @property
    def buying_department_fit(self) -> bool: ...
    @property
    def champion_fit(self) -> bool: ...
    @property
    def technology_ready(self) -> bool: ...
    @property
    def services_sold_hours(self) -> float: ...
    @property
    def services_needed_hours(self) -> float: ...
    @property
    def order_form_exceptions(self) -> bool: ...
    @property
    def order_form_exceptions_documented(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Answers:
    problem_severity: int  # 1 "not an important problem" .. 5 "on fire"
    expected_duration_months: int
    buying_department_fit: bool
    champion_fit: bool
    technology_ready: bool
    services_sold_hours: float
    services_needed_hours: float
    order_form_exceptions: bool
    order_form_exceptions_documented: bool
    discount_pct: float  # % below list price

    @classmethod
    def of(cls, q: Qualification, *, discount_pct: float | None) -> Answers:
        return cls(
            problem_severity=q.problem_severity,
            expected_duration_months=q.expected_duration_months,
            buying_department_fit=q.buying_department_fit,
            champion_fit=q.champion_fit,
            technology_ready=q.technology_ready,
            services_sold_hours=q.services_sold_hours,
            services_needed_hours=q.services_needed_hours,
            order_form_exceptions=q.order_form_exceptions,
            order_form_exceptions_documented=q.order_form_exceptions_documented,
            discount_pct=discount_pct or 0.0,
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_problem_severity: int = 3
    min_duration_months: int = 12  # "more than a year": 12 months is not
    max_discount_pct: float = VALUE_THRESHOLD_DISCOUNT_PCT  # paying two thirds of list or less: churns more


@dataclass(frozen=True, slots=True)
class Flag:
    criterion: Criterion
    reason: str


@dataclass(frozen=True, slots=True)
class Quality:
    score: float | None  # None: answers missing
    band: Band
    flags: tuple[Flag, ...]

    @property
    def flagged(self) -> bool:
        return self.band in FLAGGED


ANSWERS_MISSING = Quality(score=None, band="answers_missing", flags=())


def evaluate(a: Answers | None, t: Thresholds = Thresholds()) -> Quality:
    if a is None:
        return ANSWERS_MISSING
    flags = _flags(a, t)
    score = max(0.0, 100.0 - sum(WEIGHTS[f.criterion] for f in flags))
    return Quality(score=score, band=band(f.criterion for f in flags), flags=tuple(flags))


def band(failed: Iterable[Criterion]) -> Band:
    """The worst failed criterion's band; good only when none failed."""
    return max((BAND_OF[c] for c in failed), key=_RANK.__getitem__, default="good")


def _flags(a: Answers, t: Thresholds) -> list[Flag]:
    flags: list[Flag] = []
    if a.problem_severity < t.min_problem_severity:
        flags.append(
            Flag(
                Criterion.SEVERE_PROBLEM,
                f"problem severity {a.problem_severity}/5: the customer does not see a severe problem",
            )
        )
    if a.expected_duration_months <= t.min_duration_months:
        flags.append(
            Flag(
                Criterion.LONG_TERM_USE,
                f"expects to use it {a.expected_duration_months} months, not more than {t.min_duration_months}",
            )
        )
    if not (a.buying_department_fit and a.champion_fit):
        which = " and ".join(
            w for w, ok in (("department", a.buying_department_fit), ("champion", a.champion_fit)) if not ok
        )
        flags.append(Flag(Criterion.RIGHT_BUYER, f"sold to the wrong {which}: no skills to use it"))
    if not a.technology_ready:
        flags.append(Flag(Criterion.TECHNOLOGY_READY, "the customer lacks the technology needed to implement it"))
    if a.services_needed_hours > a.services_sold_hours:
        gap = a.services_needed_hours - a.services_sold_hours
        flags.append(
            Flag(
                Criterion.ENOUGH_SERVICES,
                f"{gap:g} h of implementation help needed beyond the {a.services_sold_hours:g} h sold",
            )
        )
    if below_value_threshold(a.discount_pct, t.max_discount_pct):
        flags.append(
            Flag(
                Criterion.VALUE_PRICED,
                f"discount {a.discount_pct:.1f}% reaches the {t.max_discount_pct:.1f}% value threshold",
            )
        )
    if a.order_form_exceptions and not a.order_form_exceptions_documented:
        flags.append(Flag(Criterion.STANDARD_TERMS, "exceptions to the standard order form are not documented"))
    return flags

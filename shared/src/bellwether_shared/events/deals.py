"""Closed-won deals, as a CRM sends them at hand-off: the deal, its hand-off answers (``Qualification``)
and a temporary discount granted with it. Version 1 required the answers; version 2 may come without."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from bellwether_shared.events.base import Event
from bellwether_shared.events.ingest_base import Signal


class Qualification(Event):
    """The hand-off answers of a closed-won deal (domain.md, Deal quality at hand-off)."""

    problem_severity: int = Field(ge=1, le=5, description="1 not an important problem … 5 on fire")
    expected_duration_months: int = Field(ge=0, le=240)
    buying_department_fit: bool
    champion_fit: bool
    technology_ready: bool
    services_sold_hours: float = Field(ge=0)
    services_needed_hours: float = Field(ge=0)
    order_form_exceptions: bool = False
    order_form_exceptions_documented: bool = True


class TemporaryDiscount(Event):
    """A discount granted for a while (a first-year ramp, a concession): its end is a renewal-risk reason."""

    label: str = Field(min_length=1, max_length=200, description="what it was for, e.g. 'first-year ramp'")
    expires_on: date


class DealSignal(Signal):
    """What every version of a closed-won deal carries (handlers take this)."""

    deal_id: str
    arr: float = Field(ge=0, le=1e12)
    list_price: float = Field(ge=0, le=1e12)
    term_months: int = Field(ge=1)
    products: list[str] = Field(default_factory=list)
    lead_source: str | None = None
    lead_score: float | None = Field(default=None, ge=0, le=100)
    ae: str | None = None


class DealClosedWon(DealSignal):
    """Version 1 (records already written): the hand-off answers were required."""

    event_type: ClassVar[str] = "bellwether.signals.deal_closed_won.v1"
    qualification: Qualification


class DealClosedWonV2(DealSignal):
    """A closed-won deal. A CRM without the hand-off answers still opens the contract and its review
    ("answers missing"); CS records them at kickoff."""

    event_type: ClassVar[str] = "bellwether.signals.deal_closed_won.v2"
    qualification: Qualification | None = Field(
        default=None, description="the hand-off answers; missing: the review opens as answers_missing"
    )
    temporary_discount: TemporaryDiscount | None = Field(
        default=None, description="part of the discount is temporary: its label and when it ends"
    )

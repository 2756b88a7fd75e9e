"""Events produced by the renewals service (topic renewals.v1), version 1. Key: the account."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from bellwether_shared import topics
from bellwether_shared.engagement import Model as EngagementModel, TouchKind
from bellwether_shared.events.base import Event

Role = Literal["csm", "ae", "renewal_owner"]
Outcome = Literal["renewed", "expanded", "downgraded", "churned"]


class RenewalsEvent(Event):
    producer: ClassVar[str] = "renewals"
    topic: ClassVar[str] = topics.RENEWALS
    account_id: str


class RiskReason(Event):
    factor: str
    points: float
    text: str


class QualityFlag(Event):
    criterion: str
    reason: str


class OpportunityCreated(RenewalsEvent):
    event_type: ClassVar[str] = "bellwether.renewals.opportunity_created.v1"
    opportunity_id: str
    kind: Literal["renewal", "expansion"]
    contract_id: str | None
    renewal_date: date | None
    arr: float
    growth_type: str | None = None
    owner_id: str | None
    owner_role: Role
    owner_reason: str | None = Field(default=None, description="why this owner (the ownership policy)")
    source: str | None = Field(default=None, description="manual, renewal, or readiness (health found it ready)")
    reasons: list[str] = Field(default_factory=list, description="why it was opened (expansion readiness)")


class RenewalUpcoming(RenewalsEvent):
    """Sent once as the renewal enters each window (90, 60, 30 days)."""

    event_type: ClassVar[str] = "bellwether.renewals.renewal_upcoming.v1"
    opportunity_id: str
    renewal_date: date
    days_to_renewal: int
    window: int = Field(description="90, 60 or 30")
    arr: float
    owner_id: str | None
    owner_role: Role
    at_risk: bool
    renewal_task: bool = Field(
        default=False,
        description="the first window announced for a renewal whose tier wants a person's task at every renewal",
    )
    tier: str | None = Field(default=None, description="the account's tier in the tier vocabulary")


class RenewalRiskChanged(RenewalsEvent):
    """Sent on entering risk (at_risk true) and on leaving it (false), never in between."""

    event_type: ClassVar[str] = "bellwether.renewals.risk_changed.v1"
    opportunity_id: str
    at_risk: bool
    level: Literal["none", "low", "medium", "high"]
    points: float
    renewal_date: date
    days_to_renewal: int
    arr: float
    owner_id: str | None
    reasons: list[RiskReason]


class RenewalRiskEscalated(RenewalsEvent):
    """A renewal at risk came as close to its date as its tier escalates (TIERS escalate_within_days):
    the VP of CS is to know. Once per renewal."""

    event_type: ClassVar[str] = "bellwether.renewals.risk_escalated.v1"
    opportunity_id: str
    tier: str | None
    escalate_within_days: int
    level: Literal["none", "low", "medium", "high"]
    points: float
    renewal_date: date
    days_to_renewal: int
    arr: float
    owner_id: str | None
    reasons: list[RiskReason]


class RequestShipped(RenewalsEvent):
    """A feature request or bug an account asked for shipped: told once to each asking account (not
    only the one on the status change), urgent when its renewal lies ahead within 90 days, for the
    digest otherwise; a churned account is not told."""

    event_type: ClassVar[str] = "bellwether.renewals.request_shipped.v1"
    request_id: str
    title: str
    kind: Literal["feature", "bug"]
    urgency: Literal["urgent", "digest"]
    renewal_date: date | None = Field(description="the account's next open renewal")
    days_to_renewal: int | None
    arr: float | None


class RenewalRiskAssessed(RenewalsEvent):
    """The risk assessment of an open renewal moved (points, level or factors), whether or not it crossed
    the at-risk line: for views and timelines; alerts follow ``risk_changed``."""

    event_type: ClassVar[str] = "bellwether.renewals.risk_assessed.v1"
    opportunity_id: str
    at_risk: bool
    level: Literal["none", "low", "medium", "high"]
    points: float
    renewal_date: date
    days_to_renewal: int
    arr: float
    owner_id: str | None
    reasons: list[RiskReason]


class ContractChanged(RenewalsEvent):
    """A contract was created or changed (by hand or from a closed-won deal)."""

    event_type: ClassVar[str] = "bellwether.renewals.contract_changed.v1"
    contract_id: str
    start_date: date
    end_date: date
    arr: float
    products: list[str] = Field(default_factory=list)
    deal_id: str | None = None


class RenewalClosed(RenewalsEvent):
    event_type: ClassVar[str] = "bellwether.renewals.renewal_closed.v1"
    opportunity_id: str
    outcome: Outcome
    arr: float
    arr_change: float
    closed_at: datetime
    reason: str | None = Field(default=None, description="why, for a churn or downgrade (the churn taxonomy)")
    renewal_date: date | None = None
    next_contract_id: str | None = Field(default=None, description="the term it rolled forward into")


class OwnershipChanged(RenewalsEvent):
    event_type: ClassVar[str] = "bellwether.renewals.ownership_changed.v1"
    opportunity_id: str | None = Field(description="None: the account's owner in this role changed")
    role: Role
    old_owner_id: str | None
    new_owner_id: str | None
    reason: str
    actor: str


class HandoffReviewOpened(RenewalsEvent):
    """A closed-won deal's hand-off review, with its deal-quality score and flags. No longer produced
    (records already written): ``handoff_review_scored`` replaces it."""

    event_type: ClassVar[str] = "bellwether.renewals.handoff_review_opened.v1"
    deal_id: str
    score: float
    band: Literal["good", "fair", "poor"]
    flags: list[QualityFlag]
    ae: str | None
    lead_source: str | None


class HandoffReviewScored(RenewalsEvent):
    """A hand-off review scored: when it opens, and each time CS records or amends the answers at kickoff.
    Any failed criterion flags the deal (band fair or poor, by the worst one); ``answers_missing``: the
    CRM sent none, CS is to record them."""

    event_type: ClassVar[str] = "bellwether.renewals.handoff_review_scored.v1"
    deal_id: str
    score: float | None = Field(description="100 minus the failed criteria's weights; null: answers missing")
    band: Literal["good", "fair", "poor", "answers_missing"]
    flagged: bool = Field(description="at least one criterion failed")
    flags: list[QualityFlag]
    previous_band: Literal["good", "fair", "poor", "answers_missing"] | None = Field(
        description="null when the review opened now"
    )
    scored_by: str = Field(description="who gave the answers: the CRM sync or the CS member at kickoff")
    ae: str | None
    lead_source: str | None


class DealRejectionProposed(RenewalsEvent):
    event_type: ClassVar[str] = "bellwether.renewals.deal_rejection_proposed.v1"
    deal_id: str
    proposed_by: str
    failed_criteria: list[str]
    note: str | None


class DealRejected(RenewalsEvent):
    """A VP of CS approved the rejection: the deal is out of the CSM's book metrics."""

    event_type: ClassVar[str] = "bellwether.renewals.deal_rejected.v1"
    deal_id: str
    proposed_by: str
    approved_by: str
    failed_criteria: list[str]


class DealAccepted(RenewalsEvent):
    """CS accepted the deal at kickoff as it was sold."""

    event_type: ClassVar[str] = "bellwether.renewals.deal_accepted.v1"
    deal_id: str
    accepted_by: str


class DealRejectionDeclined(RenewalsEvent):
    event_type: ClassVar[str] = "bellwether.renewals.deal_rejection_declined.v1"
    deal_id: str
    declined_by: str
    note: str | None


class TouchOverdue(RenewalsEvent):
    """A touch the account's engagement model promises is past its due day (sent once per due day):
    the CSM owes the customer a business review, a check-in or the sponsor's meeting."""

    event_type: ClassVar[str] = "bellwether.renewals.touch_overdue.v1"
    kind: TouchKind
    due_on: date
    days_overdue: int = Field(ge=1)
    last_done: date | None = Field(description="the last one held (None: none yet; due from the first contract)")
    engagement_model: EngagementModel
    engagement_reason: str = Field(description="why the account is served so, in words")
    owner_id: str | None = Field(description="the account's CSM")


EVENTS: tuple[type[Event], ...] = (
    OpportunityCreated,
    RenewalUpcoming,
    RenewalRiskChanged,
    RenewalRiskAssessed,
    RenewalRiskEscalated,
    RequestShipped,
    ContractChanged,
    RenewalClosed,
    OwnershipChanged,
    HandoffReviewOpened,
    HandoffReviewScored,
    DealAccepted,
    DealRejectionProposed,
    DealRejected,
    DealRejectionDeclined,
    TouchOverdue,
)

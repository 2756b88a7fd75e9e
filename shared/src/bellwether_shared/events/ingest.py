"""Events produced by the ingest service (one module per producing service).

Version 1 of the contract; a breaking change gets a new ``...v2`` type, never an edit of v1.
JSON-schema snapshots of each type live in ``shared/schemas/`` and are checked by the contract test.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from bellwether_shared import topics
from bellwether_shared.engagement import Growth, Model as EngagementModel, TouchKind
from bellwether_shared.events.base import Event
from bellwether_shared.events.deals import (  # re-exported: iev.DealClosedWonV2 is part of this module's contract
    DealClosedWon as DealClosedWon,
    DealClosedWonV2 as DealClosedWonV2,
    DealSignal as DealSignal,
    Qualification as Qualification,
    TemporaryDiscount as TemporaryDiscount,
)
from bellwether_shared.events.ingest_base import IngestEvent as IngestEvent, Signal as Signal

Exposure = Literal["high", "moderate", "low"]
CrmSystem = Literal["hubspot", "salesforce"]


# ----------------------------------------------------------------------------- usage.events.v1


class PlanViolation(Event):
    kind: Literal["unplanned_event", "missing_property", "wrong_type", "extra_property", "invalid_value"]
    field: str = Field(description="e.g. properties.plan")
    reason: str


class UsageRecorded(IngestEvent):
    """A normalised track / page / screen call."""

    event_type: ClassVar[str] = "bellwether.usage.recorded.v1"
    topic: ClassVar[str] = topics.USAGE

    kind: Literal["track", "page", "screen"]
    event: str = Field(description="Event name (track) or page/screen name")
    user_id: str | None
    anonymous_id: str | None
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime = Field(description="Event time corrected for client clock skew")
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    timestamp_corrected: bool = Field(
        default=False, description="The event's own time lay in the future: `timestamp` is when it was received"
    )
    plan_violations: list[PlanViolation] = Field(
        default_factory=list, description="How it departs from its source's tracking plan (observe mode)"
    )


# ----------------------------------------------------------------------------- identity.v1


class _Identity(IngestEvent):
    topic: ClassVar[str] = topics.IDENTITY
    user_id: str | None
    anonymous_id: str | None = None
    timestamp: datetime

    def partition_key(self) -> str | None:
        return self.account_id or self.user_id or self.anonymous_id


class UserIdentified(_Identity):
    event_type: ClassVar[str] = "bellwether.identity.user_identified.v1"
    traits: dict[str, Any] = Field(default_factory=dict)


class UserJoinedAccount(_Identity):
    """A user became a member of an account (group call, Account Added User, Signed Up)."""

    event_type: ClassVar[str] = "bellwether.identity.user_joined_account.v1"
    via: Literal["group", "account_added_user", "signed_up"]
    traits: dict[str, Any] = Field(default_factory=dict, description="Account traits from a group call")


class UserLeftAccount(_Identity):
    event_type: ClassVar[str] = "bellwether.identity.user_left_account.v1"


class UserAliased(_Identity):
    event_type: ClassVar[str] = "bellwether.identity.user_aliased.v1"
    previous_id: str


class UserDeleted(_Identity):
    """A person's deletion request (privacy law; Segment's ``delete``): every service removes what it
    keeps of the user and of the CRM contacts named, and keeps anonymous aggregates."""

    event_type: ClassVar[str] = "bellwether.identity.user_deleted.v1"
    user_id: str  # type: ignore[assignment]
    contact_ids: list[str] = Field(default_factory=list, max_length=100, description="the person's CRM contacts")
    requested_by: str = Field(description="who asked: an admin key's actor, or source:<id> for a sender's request")
    suppress: bool = Field(description="further events for this user are dropped at ingest")

    def partition_key(self) -> str | None:
        return self.user_id


class AccountLifecycleChanged(_Identity):
    """Account Created / Account Deleted / Trial Started / Trial Ended (B2B SaaS spec events)."""

    event_type: ClassVar[str] = "bellwether.identity.account_lifecycle_changed.v1"
    change: Literal["account_created", "account_deleted", "trial_started", "trial_ended"]
    properties: dict[str, Any] = Field(default_factory=dict)


# ----------------------------------------------------------------------------- signals.v1


class Owners(Event):
    csm: str | None = None
    ae: str | None = None
    renewal_owner: str | None = None
    executive_sponsor: str | None = Field(default=None, description="our person who sponsors the relationship")


class AccountUpserted(Signal):
    event_type: ClassVar[str] = "bellwether.signals.account_upserted.v1"
    name: str | None = None
    arr: float | None = Field(default=None, ge=0, le=1e12)
    seats: int | None = Field(default=None, ge=0, le=100_000_000)
    tier: str | None = None
    segment: str | None = None
    industry: str | None = None
    exposure: Exposure | None = None
    lifecycle_stage: Literal["onboarding", "adopting", "mature", "at_risk", "churned"] | None = None
    renewal_date: date | None = None
    onboarding_started_at: date | None = None
    owners: Owners | None = None
    growth_potential: Growth | None = Field(default=None, description="how much the account can still grow")
    engagement_preference: EngagementModel | None = Field(
        default=None, description="how the customer says it wants to be served"
    )
    engagement_model: EngagementModel | None = Field(
        default=None, description="set in the CRM: stands over the rule (bellwether_shared.engagement)"
    )
    crm_ids: dict[CrmSystem, str] | None = Field(default=None, description="record id per CRM: scores go back there")


class NpsSubmitted(Signal):
    event_type: ClassVar[str] = "bellwether.signals.nps_submitted.v1"
    contact_id: str
    score: int = Field(ge=0, le=10)
    comment: str | None = None


class TicketChanged(Signal):
    event_type: ClassVar[str] = "bellwether.signals.ticket_changed.v1"
    ticket_id: str
    status: Literal["opened", "updated", "closed"]
    severity: Literal["low", "medium", "high", "urgent"]
    bug_linked: bool = False
    subject_line: str | None = None
    requester_contact_id: str | None = Field(default=None, description="the contact who asked (champion health)")
    opened_at: datetime | None = Field(default=None, description="when it was opened (resolution time)")
    contact_reason: str | None = Field(
        default=None, max_length=60, description="why the customer got in touch: one of the company's CONTACT_REASONS"
    )


Seniority = Literal["executive", "vp", "director", "manager", "individual"]


class ContactChanged(Signal):
    event_type: ClassVar[str] = "bellwether.signals.contact_changed.v1"
    contact_id: str
    role: str | None = None
    influence: Literal["high", "medium", "low"] | None = None
    engagement: Literal["high", "medium", "low"] | None = None
    delight: Literal["high", "medium", "low"] | None = None
    is_champion: bool = False
    departed: bool = Field(default=False, description="The contact left the company")
    name: str | None = None
    title: str | None = Field(default=None, description="job title, e.g. VP Operations")
    email: str | None = Field(default=None, max_length=320, description="links the contact to product users")
    user_id: str | None = Field(default=None, description="the contact's user id in the product (usage events)")
    seniority: Seniority | None = None
    can_promote: bool | None = Field(default=None, description="has the skills and standing to promote the product")
    owns_relationship_next_12m: bool | None = Field(
        default=None, description="will still own the relationship in 12 months"
    )


class OnboardingConfirmed(Signal):
    event_type: ClassVar[str] = "bellwether.signals.onboarding_confirmed.v1"
    aspect: Literal["technical", "process"]
    confirmed_by: str = Field(description="The customer contact who confirmed it")


class GoalUpdated(Signal):
    """A customer goal. With a measurable target (metric, baseline, target value, due date) its progress
    and status are computed by health; linked to a usage event, so is its current value."""

    event_type: ClassVar[str] = "bellwether.signals.goal_updated.v1"
    goal_id: str
    name: str
    problem_severity: int | None = Field(default=None, ge=1, le=5)
    target: str | None = None
    status: Literal["in_progress", "met", "exceeded", "partially_met", "missed"]
    metric: str | None = Field(default=None, description="what is measured, e.g. 'demo requests per month'")
    baseline: float | None = Field(default=None, ge=-1e12, le=1e12)
    target_value: float | None = Field(default=None, ge=-1e12, le=1e12)
    current_value: float | None = Field(default=None, ge=-1e12, le=1e12, description="typed, unless linked")
    due_date: date | None = None
    linked_event: str | None = Field(default=None, description="usage event counted over linked_window_days")
    linked_window_days: int | None = Field(default=None, ge=1, le=365)


class ProblemRecorded(Signal):
    """The problem the customer bought the product for, recorded at onboarding (domain.md, Goals)."""

    event_type: ClassVar[str] = "bellwether.signals.problem_recorded.v1"
    problem_id: str
    description: str
    severity: int = Field(ge=1, le=5, description="1 not an important problem … 5 on fire")
    recorded_by: str | None = None


class ValueReviewRecorded(Signal):
    """A periodic review of the value received, held with the customer (monthly or quarterly)."""

    event_type: ClassVar[str] = "bellwether.signals.value_review_recorded.v1"
    review_id: str
    reviewed_on: date
    outcome: Literal["exceeded", "met", "partially_met", "missed"]
    notes: str | None = None
    goal_ids: list[str] = Field(default_factory=list, max_length=100)

    def as_touch(self) -> TouchRecorded:
        """The review as the promised ``value_review`` touch, held on its day (the cadence counts from it)."""
        base = self.model_dump(include={"message_id", "source_id", "account_id", "received_at", "occurred_at"})
        touch_id = "value-review:" + self.review_id
        return TouchRecorded(**base, touch_id=touch_id, kind="value_review", outcome="done", held_on=self.reviewed_on)


class TouchRecorded(Signal):
    """A touch the engagement model promises (a business review, a check-in, an executive sponsor's
    meeting, an onboarding session), held with the customer or missed; the same ``touch_id`` again
    corrects it."""

    event_type: ClassVar[str] = "bellwether.signals.touch_recorded.v1"
    touch_id: str = Field(min_length=1, max_length=200)
    kind: TouchKind
    outcome: Literal["done", "missed"]
    held_on: date
    by_person: str | None = Field(default=None, max_length=200, description="who held it (our side)")
    hours: float | None = Field(default=None, ge=0, le=1000)
    notes: str | None = None


class FeatureRequestStatusChanged(Signal):
    """A feature request or bug and its status, linked to the account (and contact) that asked for it;
    one request asked by several accounts arrives once per account."""

    event_type: ClassVar[str] = "bellwether.signals.feature_request_status_changed.v1"
    request_id: str
    title: str
    status: Literal["open", "planned", "in_progress", "shipped", "declined"]
    kind: Literal["feature", "bug"] | None = Field(default=None, description="feature when absent")
    contact_id: str | None = Field(default=None, description="the contact who asked")
    blocking: bool | None = Field(default=None, description="the customer cannot reach its goals without it")


SIGNAL_TYPES: tuple[type[Signal], ...] = (
    AccountUpserted,
    NpsSubmitted,
    TicketChanged,
    ContactChanged,
    OnboardingConfirmed,
    GoalUpdated,
    FeatureRequestStatusChanged,
    DealClosedWonV2,
    ProblemRecorded,
    ValueReviewRecorded,
    TouchRecorded,
)
EVENTS: tuple[type[Event], ...] = (
    UsageRecorded,
    UserIdentified,
    UserJoinedAccount,
    UserLeftAccount,
    UserAliased,
    UserDeleted,
    AccountLifecycleChanged,
    *SIGNAL_TYPES,
    DealClosedWon,
)

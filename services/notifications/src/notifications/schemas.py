"""HTTP models of the notifications API (strict: unknown fields refused; errors name the field)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bellwether_shared.http import RequestModel
from notifications.domain import addresses, urlguard
from notifications.domain.rules import OPS, ROLES

Severity = Literal["info", "low", "medium", "high", "critical"]


class ConditionIn(RequestModel):
    field: str = Field(pattern=r"^(event|account)\.[a-z_][a-z0-9_.]*$", description="event.<attr> or account.<attr>")
    op: Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists", "contains"]
    value: Any = None

    @model_validator(mode="after")
    def _value(self) -> ConditionIn:
        assert self.op in OPS
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"value must be a list for '{self.op}'")
        if self.op in ("lt", "lte", "gt", "gte") and not isinstance(self.value, int | float | str):
            raise ValueError(f"value must be a number or a string for '{self.op}'")
        return self


class RuleIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Big renewal at risk",
                    "event_type": "bellwether.renewals.risk_changed.v1",
                    "conditions": [
                        {"field": "event.at_risk", "op": "eq", "value": True},
                        {"field": "account.arr", "op": "gte", "value": 100000},
                    ],
                    "severity": "critical",
                    "recipient_roles": ["csm", "vp"],
                    "dedupe_window_s": 86400,
                    "key_fields": ["opportunity_id"],
                }
            ]
        },
    )
    name: str = Field(min_length=1, max_length=200)
    event_type: str = Field(pattern=r"^bellwether\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=20)
    severity: Severity
    recipient_roles: list[str] = Field(default_factory=list, max_length=10)
    recipient_people: list[str] = Field(default_factory=list, max_length=100)
    dedupe_window_s: int = Field(default=3600, ge=0, le=30 * 86400)
    key_fields: list[str] = Field(default_factory=list, max_length=10)
    enabled: bool = True
    playbook_id: str | None = Field(
        None, max_length=100, description="open (or update) a task of this playbook instead of sending an alert"
    )

    @field_validator("recipient_roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        for r in roles:
            if r not in ROLES:
                raise ValueError(f"'{r}' is not a role (one of {', '.join(ROLES)})")
        return roles

    @model_validator(mode="after")
    def _someone(self) -> RuleIn:
        if not self.recipient_roles and not self.recipient_people:
            raise ValueError("recipient_roles or recipient_people must name someone")
        return self


class PersonIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Maria Silva",
                    "email": "maria@vendor.io",
                    "role": "csm",
                    "digest": "daily",
                    "throttle_per_hour": 10,
                }
            ]
        },
    )
    name: str | None = None
    email: str | None = Field(default=None, max_length=320)
    role: Literal["csm", "ae", "renewal_owner", "vp"] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        try:
            return None if value is None else addresses.email(value)
        except addresses.Invalid as exc:
            raise ValueError(str(exc)) from None

    digest: Literal["hourly", "daily"] = "daily"
    digest_at_or_below: Severity = "low"
    throttle_per_hour: int = Field(default=10, ge=1, le=1000)


class DestinationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "CRM webhook",
                    "kind": "webhook",
                    "target": "https://crm.example.com/hooks/bellwether",
                    "owner_person_id": "ops",
                },
                {"name": "#cs-alerts", "kind": "chat", "target": "https://hooks.slack.com/services/T000/B000/XXXX"},
                {"name": "Maria", "kind": "email", "target": "maria@vendor.io"},
            ]
        },
    )
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["webhook", "chat", "email"]
    target: str = Field(min_length=3, max_length=2000, description="https URL (webhook, chat) or e-mail address")
    owner_person_id: str | None = Field(default=None, description="told when the destination is disabled")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str, info: ValidationInfo) -> str:
        """An e-mail address or a URL whose host is a valid name (resolving it is the route's part)."""
        try:
            if info.data.get("kind") == "email":
                return addresses.email(value)
            urlguard.parse(value)
        except (addresses.Invalid, urlguard.Refused) as exc:
            raise ValueError(str(exc).removeprefix("url: ")) from None
        return value


class SubscriptionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"destination_id": "dst_1", "recipient": "role:csm", "min_severity": "medium"}]
        },
    )
    destination_id: str
    recipient: str = Field(min_length=1, description="a person id, 'role:<role>' or '*' (everyone)")
    min_severity: Severity = "info"
    event_types: list[str] = Field(default_factory=list, max_length=100, description="empty: every event type")


class ReplayIn(RequestModel):
    since: str = Field(description="ISO 8601 time: every delivery to this destination created since then")


class StepIn(RequestModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    due_days: int = Field(0, ge=0, le=365, description="due this many days after the task opens")
    role: Literal["csm", "ae", "renewal_owner", "vp"] = "csm"
    exposure: Literal["high", "moderate", "low"] | None = Field(None, description="only for accounts so exposed")


class PlaybookIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Executive sponsor change",
                    "due_days": 14,
                    "steps": [
                        {"title": "Meet the new sponsor", "due_days": 7, "role": "csm"},
                        {"title": "Re-confirm the goals", "due_days": 14, "role": "csm"},
                    ],
                }
            ]
        },
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    due_days: int = Field(ge=0, le=365)
    steps: list[StepIn] = Field(min_length=1, max_length=30)
    segments: list[Literal["high_touch", "one_to_many", "self_service"]] = Field(
        default_factory=list, max_length=3, description="the engagement models it applies to (empty: every account)"
    )

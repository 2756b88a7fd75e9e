"""HTTP request and response models of the ingest API (also what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, create_model

from bellwether_shared.events import ingest as ev
from bellwether_shared.http import MAX_TEXT, RequestModel
from bellwether_shared.paging import CursorPage
from ingest.domain import scopes

# ----------------------------------------------------------------------------- tracking calls (docs)


class RejectedItem(BaseModel):
    index: int
    messageId: str | None
    field: str
    reason: str


class Accepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": True,
                    "accepted": 99,
                    "unattributed": 0,
                    "rejected": [
                        {"index": 3, "messageId": "m-4", "field": "event", "reason": "is required for track calls"}
                    ],
                }
            ]
        }
    )
    success: bool = True
    accepted: int
    unattributed: int = Field(0, description="accepted, kept until the user's account is known")
    suppressed: int = Field(0, description="dropped: their user asked to be deleted and suppressed")
    deleted: int = Field(0, description="deletion requests (type delete) taken")
    rejected: list[RejectedItem] = []


class Error(BaseModel):
    code: str
    message: str


# ----------------------------------------------------------------------------- sources (admin)


# validated at call time (SIGNAL_TAGS is defined further down)
Scopes = Annotated[list[str], Field(max_length=20), AfterValidator(lambda v: scopes.validate(v, SIGNAL_TAGS.values()))]
AccountPatterns = Annotated[list[str], Field(max_length=1000), AfterValidator(scopes.validate_accounts)]


class SourceCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "product-analytics", "rate_limit_eps": 5000}]},
    )
    name: str = Field(min_length=1, max_length=100)
    rate_limit_eps: int | None = Field(None, ge=1, le=1_000_000, description="events/s; default from settings")
    burst: int | None = Field(None, ge=1, le=10_000_000)
    scopes: Scopes | None = Field(
        None, description="usage, identity, signals:<type> or signals:*; default usage and identity"
    )
    accounts: AccountPatterns = Field(
        default_factory=list, description="account ids or prefixes ('acme-*') it may write to; empty: any"
    )
    kind: Literal["api", "hubspot", "salesforce", "zendesk", "intercom"] = Field(
        "api", description="api: tracking, signals and CDP destination; else the webhook adapter it uses"
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="a webhook source's field mapping and settings (PUT …/config)"
    )


class SourceGrant(RequestModel):
    """What a source may write; fields left out keep their value."""

    scopes: Scopes | None = None
    accounts: AccountPatterns | None = None


class SourceOut(BaseModel):
    id: str
    name: str
    key_prefix: str
    rate_limit_eps: int
    burst: int
    created_at: datetime
    revoked_at: datetime | None
    scopes: list[str]
    accounts: list[str]
    kind: str = Field(description="api (tracking, signals, CDP destination) or a webhook adapter's kind")
    signed: bool = Field(description="requests must carry a signature made with the source's signing secret")
    config: dict[str, Any] = Field(description="the adapter's settings: field mapping, stage ids, …")


class SigningSecretIn(RequestModel):
    model_config = ConfigDict(extra="forbid")
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="the secret the sender was given; omitted: one is made"
    )


class SigningSecretOut(BaseModel):
    source_id: str
    signing_secret: str = Field(description="shown once; stored encrypted (SECRETS_KEY)")


class SourceConfigOut(BaseModel):
    kind: str
    config: dict[str, Any] = Field(description="what was set")
    effective: dict[str, Any] = Field(description="what applies: the kind's defaults overlaid with what was set")


class DeletionIn(RequestModel):
    user_id: str = Field(min_length=1, max_length=255, description="the product user id (userId)")
    contact_ids: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=100, description="the person's CRM contacts, forgotten too"
    )
    suppress: bool = Field(False, description="drop this user's further events at ingest")


class DeletionOut(BaseModel):
    request_id: str
    user_hash: str = Field(description="SHA-256 of the user id: the record keeps no trace of the user")
    requested_by: str
    requested_at: datetime
    suppress: bool
    contacts: int


class TrackingPlanDoc(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "observe",
                    "events": {
                        "Report Exported": {
                            "type": "object",
                            "properties": {"format": {"type": "string", "enum": ["pdf", "csv"]}},
                            "required": ["format"],
                            "additionalProperties": False,
                        }
                    },
                }
            ]
        },
    )
    mode: Literal["observe", "enforce"] = "observe"
    events: dict[Annotated[str, Field(min_length=1, max_length=255)], dict[str, Any]] = Field(
        max_length=2000, description="event name → JSON Schema (draft 2020-12) of its properties"
    )


class PlanViolationCount(BaseModel):
    event: str
    kind: Literal["unplanned_event", "missing_property", "wrong_type", "extra_property", "invalid_value"]
    field: str
    count: int
    first_seen: datetime
    last_seen: datetime
    last_reason: str
    last_message_id: str | None


class SourceCreated(SourceOut):
    write_key: str = Field(description="shown once; only its hash is stored")


class RejectedEvent(BaseModel):
    id: int
    source_id: str
    request_id: str
    endpoint: str
    index: int
    message_id: str | None
    field: str
    reason: str
    payload: Any
    received_at: datetime


class RejectedPage(CursorPage[RejectedEvent]):
    """Rejections, newest first."""


# ----------------------------------------------------------------------------- CS signals

SIGNAL_TAGS: dict[type[ev.Signal], str] = {
    ev.AccountUpserted: "account.upserted",
    ev.NpsSubmitted: "nps.submitted",
    ev.TicketChanged: "ticket.changed",
    ev.ContactChanged: "contact.changed",
    ev.OnboardingConfirmed: "onboarding.confirmed",
    ev.GoalUpdated: "goal.updated",
    ev.FeatureRequestStatusChanged: "feature_request.status_changed",
    ev.DealClosedWonV2: "deal.closed_won",
    ev.ProblemRecorded: "problem.recorded",
    ev.ValueReviewRecorded: "value_review.recorded",
    ev.TouchRecorded: "touch.recorded",
}
SERVER_FIELDS = {"source_id", "received_at", "message_id", "occurred_at"}
_strict = ConfigDict(extra="forbid", str_max_length=MAX_TEXT, str_strip_whitespace=True)


def _strict_annotation(annotation: Any) -> Any:
    """Nested event models become strict (extra fields forbidden) input models too."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _input_model(annotation)
    if get_origin(annotation) in (Union, UnionType):
        args = tuple(_strict_annotation(a) for a in get_args(annotation))
        return Union[args]  # noqa: UP007
    return annotation


def _input_model(cls: type[BaseModel], tag: str | None = None) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_strict_annotation(f.annotation), f) for name, f in cls.model_fields.items() if name not in SERVER_FIELDS
    }
    if tag is not None:
        fields = {
            "type": (Literal[tag], Field(description="signal type")),
            **fields,
            "message_id": (
                str | None,
                Field(None, min_length=1, max_length=100, description="idempotency key; generated when missing"),
            ),
            "occurred_at": (AwareDatetime | None, Field(None, description="defaults to the receive time")),
        }
    return create_model(f"{cls.__name__}In", __config__=_strict, **fields)


SIGNAL_INPUTS: dict[str, tuple[type[ev.Signal], type[BaseModel]]] = {
    tag: (cls, _input_model(cls, tag)) for cls, tag in SIGNAL_TAGS.items()
}
# built from the models above, so mypy sees it as a value; pydantic sees the discriminated union
SignalIn: Any = Annotated[
    Union[tuple(model for _, model in SIGNAL_INPUTS.values())],  # noqa: UP007
    Field(discriminator="type"),
]
SIGNAL_ADAPTER: TypeAdapter[Any] = TypeAdapter(SignalIn)

SIGNAL_EXAMPLE: dict[str, Any] = {
    "batch": [
        {
            "type": "account.upserted",
            "account_id": "acme",
            "name": "Acme Corp",
            "arr": 120000,
            "seats": 50,
            "tier": "mid",
            "industry": "logistics",
            "exposure": "moderate",
            "renewal_date": "2027-03-31",
            "owners": {"csm": "csm_jane", "ae": "ae_bob"},
        },
        {"type": "nps.submitted", "account_id": "acme", "contact_id": "c_1", "score": 9},
        {
            "type": "contact.changed",
            "account_id": "acme",
            "contact_id": "c_2",
            "role": "VP Operations",
            "influence": "high",
            "is_champion": True,
            "departed": True,
        },
    ]
}


class SignalBatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SIGNAL_EXAMPLE]})
    batch: list[SignalIn] = Field(description="one or more signals, each discriminated by `type`")  # type: ignore[valid-type]

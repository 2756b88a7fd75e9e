"""The tracking wire format as documented (the OpenAPI request bodies of the tracking calls). The
validation itself is domain.normalise (event by event, so one bad event never fails a batch); the test
test_wire_format proves the two agree: every documented example is accepted, every required field is
enforced, and every field the documents name is one normalise reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Call(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    userId: str | None = Field(None, description="userId or anonymousId is required")
    anonymousId: str | None = None
    messageId: str | None = Field(None, max_length=100, description="generated when missing; retries resend it")
    timestamp: datetime | None = None
    originalTimestamp: datetime | None = None
    sentAt: datetime | None = None
    context: dict[str, Any] | None = Field(None, description="context.groupId names the account")
    integrations: dict[str, Any] | None = None
    writeKey: str | None = Field(None, description="alternative to Basic/Bearer auth")


class TrackCall(_Call):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "userId": "u_42",
                    "event": "Report Exported",
                    "properties": {"format": "pdf"},
                    "context": {"groupId": "acme"},
                    "messageId": "m-7f3a",
                    "timestamp": "2026-11-20T09:30:00Z",
                }
            ]
        }
    )
    type: Literal["track"] | None = None
    event: str
    properties: dict[str, Any] | None = None


class IdentifyCall(_Call):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"userId": "u_42", "traits": {"email": "ada@acme.test", "title": "VP Operations"}}]
        }
    )
    type: Literal["identify"] | None = None
    traits: dict[str, Any] | None = None


class GroupCall(_Call):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"userId": "u_42", "groupId": "acme", "traits": {"name": "Acme Corp", "plan": "enterprise"}}]
        }
    )
    type: Literal["group"] | None = None
    groupId: str
    traits: dict[str, Any] | None = None


class PageCall(_Call):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"userId": "u_42", "name": "Dashboard", "properties": {"path": "/dash"}, "context": {"groupId": "acme"}}
            ]
        }
    )
    type: Literal["page"] | None = None
    name: str | None = None
    properties: dict[str, Any] | None = None


class ScreenCall(PageCall):
    type: Literal["screen"] | None = None  # type: ignore[assignment]


class AliasCall(_Call):
    model_config = ConfigDict(json_schema_extra={"examples": [{"userId": "u_42", "previousId": "anon-9"}]})
    type: Literal["alias"] | None = None
    previousId: str


class BatchCall(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "batch": [
                        {"type": "group", "userId": "u_42", "groupId": "acme", "messageId": "m-1"},
                        {
                            "type": "track",
                            "userId": "u_42",
                            "event": "Report Exported",
                            "messageId": "m-2",
                            "timestamp": "2026-11-20T09:30:00Z",
                        },
                    ],
                    "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
                    "sentAt": "2026-11-20T09:30:01Z",
                }
            ]
        },
    )
    batch: list[dict[str, Any]] = Field(description="up to 2,500 events of any type; each needs `type`")
    context: dict[str, Any] | None = Field(None, description="merged into each event's context")
    integrations: dict[str, Any] | None = None
    sentAt: datetime | None = None
    writeKey: str | None = None

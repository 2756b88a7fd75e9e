"""Request and response bodies of the CRM write-back API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bellwether_shared.http import RequestModel
from notifications.domain import urlguard

HUBSPOT_API = "https://api.hubapi.com"
API_VERSION = r"^v\d{2,3}\.\d$"


def _url(value: str | None) -> str | None:
    if value is not None:
        urlguard.parse(value)  # scheme, no credentials, a valid host (resolving it is the route's part)
    return value.rstrip("/") if value else value


class CrmDestinationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "HubSpot", "kind": "hubspot", "token": "pat-eu1-…"},
                {
                    "name": "Salesforce",
                    "kind": "salesforce",
                    "base_url": "https://acme.my.salesforce.com",
                    "token": "00D…!AQ…",
                    "fields": {"health_score": "CS_Health__c"},
                },
            ]
        }
    )
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["hubspot", "salesforce"]
    base_url: str | None = Field(
        default=None, max_length=500, description=f"HubSpot: {HUBSPOT_API} (default); Salesforce: the instance URL"
    )
    token: SecretStr = Field(
        min_length=8, max_length=4096, description="HubSpot private-app token, or a Salesforce OAuth access token"
    )
    fields: dict[str, str] = Field(default_factory=dict, description="value → property or field name (overrides)")
    api_version: str | None = Field(default=None, pattern=API_VERSION, description="Salesforce REST version (v62.0)")
    coalesce_s: float = Field(default=5, ge=0, le=3600, description="changes of an account within this go as one write")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return _url(value)


class CrmDestinationPatch(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    base_url: str | None = Field(default=None, max_length=500)
    token: SecretStr | None = Field(default=None, min_length=8, max_length=4096)
    fields: dict[str, str] | None = None
    api_version: str | None = Field(default=None, pattern=API_VERSION)
    coalesce_s: float | None = Field(default=None, ge=0, le=3600)
    enabled: bool | None = None

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return _url(value)


class ResyncIn(RequestModel):
    account_ids: list[str] | None = Field(default=None, max_length=10_000, description="none: every known account")
    forget: bool = Field(default=False, description="send every value again, not only what the CRM does not show")


class CrmRecordsIn(RequestModel):
    """The account's record id in each CRM (when account.upserted does not carry it)."""

    hubspot: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^\d+$")
    salesforce: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


class CrmDestinationOut(BaseModel):
    destination_id: str
    name: str
    kind: str
    base_url: str
    fields: dict[str, str]
    api_version: str | None
    coalesce_s: float
    enabled: bool
    paused_until: datetime | None
    pause_reason: str | None
    token_set: bool = True  # the token itself is never shown again
    status: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime

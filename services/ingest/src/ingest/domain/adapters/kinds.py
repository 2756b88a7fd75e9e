"""Each webhook kind as one object with the same four steps: ``verify`` a signed request (or say it signs
nothing), ``parse`` the body, ``map`` it to signals (``Mapped``), and ``answer`` the sender the way it
expects. ``ADAPTERS`` holds one per kind; nothing outside branches on the kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ingest.domain import signatures
from ingest.domain.adapters import Mapped, desk, hubspot, salesforce
from ingest.domain.errors import Forbidden, Invalid, Unauthorised

_BAD_SIGNATURE = "missing or not made with this source's signing secret"


@dataclass(frozen=True, slots=True)
class Inbound:
    """A webhook request as the adapters see it: no framework, just what they read."""

    method: str
    url: str  # as received
    path_and_query: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    wire: bytes  # as signed (maybe gzip)
    body: bytes  # decoded
    now: datetime


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    media_type: str


def json_of(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid("invalid_json", f"malformed JSON: {exc}") from None


def _checked(ok: bool, header: str, fresh: bool) -> None:
    if not ok:
        raise Unauthorised("invalid_signature", f"{header}: {_BAD_SIGNATURE}")
    if not fresh:
        raise Unauthorised("stale_request", "request timestamp: missing or more than 5 minutes away (a replay?)")


class Adapter:
    kind: str = ""
    objects: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = {}
    signs: bool = True  # a source with a signing secret is authenticated by it (else by its write key)

    def verify(self, secret: str, req: Inbound, config: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def parse(self, req: Inbound, config: Mapping[str, Any]) -> Any:
        return json_of(req.body)

    def map(self, parsed: Any, config: Mapping[str, Any], req: Inbound) -> list[Mapped]:
        raise NotImplementedError

    def answer(self) -> Answer | None:
        """The sender's own acknowledgement; None: the standard JSON answer."""
        return None

    def retry_after(self, seconds: int) -> str:
        return str(seconds)


class HubSpot(Adapter):
    kind, objects, defaults = "hubspot", hubspot.OBJECTS, hubspot.DEFAULTS

    def verify(self, secret: str, req: Inbound, config: Mapping[str, Any]) -> None:
        stamp = req.headers.get("x-hubspot-request-timestamp")
        base = config.get("public_url")
        uri = f"{base.rstrip('/')}{req.path_and_query}" if base else req.url
        given = req.headers.get("x-hubspot-signature-v3")
        ok = signatures.hubspot_ok(secret, method=req.method, uri=uri, body=req.wire, header=given, timestamp=stamp)
        _checked(ok, "X-HubSpot-Signature-v3", signatures.fresh(stamp, req.now, millis=True))

    def map(self, parsed: Any, config: Mapping[str, Any], req: Inbound) -> list[Mapped]:
        return hubspot.map_payload(parsed, config, object_hint=req.query.get("object"))

    def retry_after(self, seconds: int) -> str:
        return str(seconds * 1000)  # HubSpot reads Retry-After in milliseconds


class Zendesk(Adapter):
    kind, objects, defaults = "zendesk", desk.OBJECTS, desk.ZENDESK_DEFAULTS

    def verify(self, secret: str, req: Inbound, config: Mapping[str, Any]) -> None:
        stamp = req.headers.get("x-zendesk-webhook-signature-timestamp")
        ok = signatures.zendesk_ok(secret, req.wire, req.headers.get("x-zendesk-webhook-signature"), stamp)
        _checked(ok, "X-Zendesk-Webhook-Signature", signatures.fresh(stamp, req.now))

    def map(self, parsed: Any, config: Mapping[str, Any], req: Inbound) -> list[Mapped]:
        return desk.map_zendesk(parsed, config)


class Intercom(Adapter):
    kind, objects, defaults = "intercom", desk.OBJECTS, desk.INTERCOM_DEFAULTS

    def verify(self, secret: str, req: Inbound, config: Mapping[str, Any]) -> None:
        _checked(signatures.intercom_ok(secret, req.wire, req.headers.get("x-hub-signature")), "X-Hub-Signature", True)

    def map(self, parsed: Any, config: Mapping[str, Any], req: Inbound) -> list[Mapped]:
        return desk.map_intercom(parsed, config)


class Salesforce(Adapter):
    """Outbound messages: SOAP, unsigned (its sources authenticate with the key in the URL), one org."""

    kind, objects, defaults, signs = "salesforce", salesforce.OBJECTS, salesforce.DEFAULTS, False

    def verify(self, secret: str, req: Inbound, config: Mapping[str, Any]) -> None:
        raise Unauthorised("unauthorized", "Salesforce signs nothing: authenticate with the write key")

    def parse(self, req: Inbound, config: Mapping[str, Any]) -> salesforce.Message:
        try:
            message = salesforce.parse(req.body)
        except salesforce.NotOutbound as exc:
            raise Invalid("invalid_body", f"body: {exc}") from None
        expected = config.get("organization_id")
        if expected and message.organization_id != expected:
            raise Forbidden("organization_not_allowed", "OrganizationId: not this source's Salesforce org")
        return message

    def map(self, parsed: Any, config: Mapping[str, Any], req: Inbound) -> list[Mapped]:
        return salesforce.map_message(parsed, config)

    def answer(self) -> Answer:
        return Answer(salesforce.ACK, "text/xml; charset=utf-8")


ADAPTERS: dict[str, Adapter] = {a.kind: a for a in (HubSpot(), Salesforce(), Zendesk(), Intercom())}

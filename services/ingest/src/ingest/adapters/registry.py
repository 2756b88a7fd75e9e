"""The webhook kinds: what each maps, its default config and the scopes its sources get."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.adapters import desk, hubspot, salesforce
from ingest.adapters.fields import Problem, check_config, effective

KINDS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "hubspot": (hubspot.OBJECTS, hubspot.DEFAULTS),
    "salesforce": (salesforce.OBJECTS, salesforce.DEFAULTS),
    "zendesk": (desk.OBJECTS, desk.ZENDESK_DEFAULTS),
    "intercom": (desk.OBJECTS, desk.INTERCOM_DEFAULTS),
}
_SIGNAL = {"account": "account.upserted", "deal": "deal.closed_won", "ticket": "ticket.changed"}


def scopes_for(kind: str) -> list[str]:
    """A webhook source may write exactly the signals its adapter makes."""
    return sorted(f"signals:{_SIGNAL[obj]}" for obj in KINDS[kind][0])


def problems(kind: str, config: Mapping[str, Any]) -> list[Problem]:
    if kind not in KINDS:
        return [Problem("config", "an api source has no adapter settings")] if config else []
    return check_config(kind, KINDS[kind][0], config)


def resolved(kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    return effective(KINDS[kind][1], config) if kind in KINDS else dict(config)

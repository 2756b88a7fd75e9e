"""The webhook kinds (``kinds.ADAPTERS``): what each maps, its default config and the scopes its sources get."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.domain.adapters.fields import Problem, check_config, effective
from ingest.domain.adapters.kinds import ADAPTERS

KINDS = tuple(ADAPTERS)
_SIGNAL = {"account": "account.upserted", "deal": "deal.closed_won", "ticket": "ticket.changed"}


def scopes_for(kind: str) -> list[str]:
    """A webhook source may write exactly the signals its adapter makes."""
    return sorted(f"signals:{_SIGNAL[obj]}" for obj in ADAPTERS[kind].objects)


def problems(kind: str, config: Mapping[str, Any]) -> list[Problem]:
    if kind not in ADAPTERS:
        return [Problem("config", "an api source has no adapter settings")] if config else []
    return check_config(kind, ADAPTERS[kind].objects, config)


def resolved(kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    return effective(ADAPTERS[kind].defaults, config) if kind in ADAPTERS else dict(config)

"""Which scorecard scores an account (domain.md, Health: scorecards per segment or tier)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from health.domain.model import Scorecard


@dataclass(frozen=True, slots=True)
class CardChoice:
    card: Scorecard
    tiers: frozenset[str]
    segments: frozenset[str]
    is_default: bool


def choose(cards: Sequence[CardChoice], tier: str | None, segment: str | None) -> CardChoice:
    """The first non-default card (in the given order) naming the account's tier or segment;
    otherwise the default card; with no default, the first card. ``cards`` must not be empty."""
    if not cards:
        raise ValueError("no scorecard to choose from")
    for c in cards:
        if not c.is_default and ((tier and tier in c.tiers) or (segment and segment in c.segments)):
            return c
    defaults = [c for c in cards if c.is_default] or list(cards)
    return defaults[0]

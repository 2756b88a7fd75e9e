"""Which scorecard scores an account (domain.md, Health: scorecards per tier, segment or lifecycle stage)."""

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
    lifecycle_stages: frozenset[str] = frozenset()


def choose(
    cards: Sequence[CardChoice], tier: str | None, segment: str | None, lifecycle_stage: str | None = None
) -> CardChoice:
    """The first non-default card (in the given order) naming the account's lifecycle stage (an account
    in onboarding is scored differently from a mature one), else its tier or segment; otherwise the
    default card; with no default, the first card. ``cards`` must not be empty."""
    if not cards:
        raise ValueError("no scorecard to choose from")
    for c in cards:
        if not c.is_default and lifecycle_stage and lifecycle_stage in c.lifecycle_stages:
            return c
    for c in cards:
        if not c.is_default and ((tier and tier in c.tiers) or (segment and segment in c.segments)):
            return c
    defaults = [c for c in cards if c.is_default] or list(cards)
    return defaults[0]

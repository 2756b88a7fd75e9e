"""Every requester told (domain.md, Signals: "when one ships, the CSM must learn it, above all when that
account renews within 90 days"): each account that asked for a shipped request is told once, urgently
when its next renewal lies ahead within ``urgent_within_days`` (90), in the digest otherwise; a churned
account is told nothing."""

from __future__ import annotations

from typing import Literal

Urgency = Literal["urgent", "digest"]


def urgency(*, days_to_renewal: int | None, churned: bool, urgent_within_days: int = 90) -> Urgency | None:
    if churned:
        return None
    if days_to_renewal is not None and 0 <= days_to_renewal <= urgent_within_days:
        return "urgent"
    return "digest"  # no renewal open, one further out, or one already past its date: never urgent

"""Noise control, per alert and recipient: the same alert key within its window is dropped as a
duplicate; low-severity alerts wait for the recipient's digest; above the recipient's hourly limit an
alert is throttled into the digest too (so nothing is lost, only delayed). Every outcome has a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from notifications.domain.rules import Severity


class Outcome(StrEnum):
    SEND = "send"
    DUPLICATE = "duplicate"
    DIGEST = "digest"
    THROTTLED = "throttled"  # into the digest
    GROUPED = "grouped"  # joined an incident the person was already told of (domain.incidents)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True)
class Prefs:
    digest_at_or_below: Severity = Severity.LOW
    throttle_per_hour: int = 10


def decide(
    *,
    severity: Severity,
    now: datetime,
    last_same_key_at: datetime | None,
    dedupe_window: timedelta,
    sent_last_hour: int,
    prefs: Prefs,
) -> Decision:
    if last_same_key_at is not None and now - last_same_key_at < dedupe_window:
        age = int((now - last_same_key_at).total_seconds())
        return Decision(
            Outcome.DUPLICATE,
            f"the same alert went to this recipient {age} s ago (window {int(dedupe_window.total_seconds())} s)",
        )
    if severity <= prefs.digest_at_or_below:
        return Decision(Outcome.DIGEST, f"{severity.label} severity goes to the digest")
    if sent_last_hour >= prefs.throttle_per_hour:
        return Decision(
            Outcome.THROTTLED,
            f"{sent_last_hour} alerts sent in the last hour (limit {prefs.throttle_per_hour}): into the digest",
        )
    return Decision(Outcome.SEND, f"{severity.label} severity, sent at once")


def backoff(attempt: int, *, base_s: float = 5.0, cap_s: float = 6 * 3600, jitter: float = 0.0) -> float:
    """Delay before retry ``attempt`` (1-based): exponential, capped; "equal jitter": half the delay is
    fixed, the other half scaled by ``jitter`` in [0, 1), so retries of many deliveries spread out."""
    delay = min(cap_s, base_s * 2.0 ** (attempt - 1))
    return float(delay * (0.5 + jitter / 2))

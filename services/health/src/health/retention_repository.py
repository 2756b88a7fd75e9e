"""What health deletes, and when: usage rollups, user activity and milestone hits past the measures'
window (``HISTORY_DAYS``), stored scores past ``SCORE_HISTORY_DAYS`` (an account's latest score
always stays). Run by the ``retention`` background loop (``bellwether_shared.retention.loop``)."""

from __future__ import annotations

from datetime import timedelta

from bellwether_shared.retention import Rule
from health.settings import HealthSettings


def rules(settings: HealthSettings) -> list[Rule]:
    usage = timedelta(days=settings.history_days)
    return [
        Rule("usage_daily", "day < $1", usage, cutoff="date"),
        Rule("user_days", "day < $1", usage, cutoff="date"),
        Rule("milestone_hits", "day < $1", usage, cutoff="date"),
        Rule(
            "scores",
            """computed_at < $1 AND EXISTS (SELECT 1 FROM scores newer
                 WHERE newer.account_id = scores.account_id AND newer.computed_at > scores.computed_at)""",
            timedelta(days=settings.score_history_days),
        ),
    ]

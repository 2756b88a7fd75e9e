"""What the account view deletes, and when: timeline entries past ``TIMELINE_DAYS`` (730), health
scores past ``SCORE_HISTORY_DAYS`` (400; an account's latest stays on the account itself). Run by the
``retention`` background loop (``bellwether_shared.retention.loop``)."""

from __future__ import annotations

from datetime import timedelta

from accounts.settings import AccountsSettings
from bellwether_shared.retention import Rule


def rules(settings: AccountsSettings) -> list[Rule]:
    return [
        Rule("timeline", "occurred_at < $1", timedelta(days=settings.timeline_days)),
        Rule("health_scores", "at < $1", timedelta(days=settings.score_history_days)),
    ]

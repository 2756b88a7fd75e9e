"""The demo's CS signals, as a CRM, a survey tool and a support desk send them: each account's basics and
its deal in the first round; in the second, half the accounts lose their champion and open an urgent,
bug-linked ticket."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from tools import demo_account, demo_crm, demo_outcomes

INDUSTRIES = [
    ("logistics", "high"),
    ("healthcare", "low"),
    ("retail", "high"),
    ("fintech", "moderate"),
    ("education", "low"),
]
ARR, LIST = [18_000, 60_000, 150_000, 42_000, 96_000], [20_000, 64_000, 240_000, 48_000, 100_000]


def _deal(a: int, account: str) -> dict[str, Any]:
    """A 12-month contract signed about 11 months ago: renewals 30, 50, 70... days out."""
    return {
        "type": "deal.closed_won",
        "account_id": account,
        "deal_id": f"{account}-deal",
        "arr": ARR[a % 5],
        "list_price": LIST[a % 5],
        "term_months": 12,
        "lead_source": ["webinar", "partner", "outbound"][a % 3],
        "ae": f"ae_{a % 3}",
        "occurred_at": f"{date.today() - timedelta(days=335 - 20 * a)}T09:00:00Z",
        "qualification": {
            "problem_severity": 2 + a % 4,
            "expected_duration_months": 24,
            "buying_department_fit": True,
            "champion_fit": a % 3 != 2,
            "technology_ready": True,
            "services_sold_hours": 20,
            "services_needed_hours": 20 + 10 * (a % 2),
        },
    }


def first_round(a: int, account: str, rnd: random.Random, users: int) -> list[dict[str, Any]]:
    """The account, its champion, an NPS answer, onboarding confirmed, and its deal."""
    industry, exposure = INDUSTRIES[a % len(INDUSTRIES)]
    signals: list[dict[str, Any]] = [
        {
            "type": "account.upserted",
            "account_id": account,
            "name": f"Demo Account {a + 1}",
            "arr": rnd.choice([18_000, 60_000, 150_000, 420_000]),
            "seats": users if a == demo_outcomes.GROWING else users + 2,
            "tier": rnd.choice(["scale", "mid", "strategic"]),
            "industry": industry,
            "exposure": exposure,
            "renewal_date": str(date.today() + timedelta(days=30 + 40 * a)),
            "onboarding_started_at": str(date.today() - timedelta(days=20)),
            "owners": {"csm": f"csm_{a % 2}", "ae": f"ae_{a % 3}"},
            "crm_ids": {"hubspot": str(demo_crm.FIRST_COMPANY + a)},  # the HubSpot company (scores go back)
        },
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "role": "VP Operations",
            "influence": "high",
            "is_champion": True,
        },
        {
            "type": "nps.submitted",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "score": rnd.randint(6, 10),
        },
        *(
            {
                "type": "onboarding.confirmed",
                "account_id": account,
                "aspect": aspect,
                "confirmed_by": f"{account}-vp",
            }
            for aspect in ("technical", "process")[: 1 + (a % 2 == 0)]
        ),
        _deal(a, account),
    ]
    if a == 0:  # the close-up account: champions, goals, value reviews, requests
        signals += demo_account.signals(account)
    if a == demo_outcomes.GROWING:  # every seat in use, a delighted VP, more users than a month ago
        signals = [x for x in signals if x["type"] != "contact.changed"]
        signals += demo_outcomes.grow_signals(account)
    return signals


def champion_left(account: str) -> list[dict[str, Any]]:
    """The champion departs and an urgent, bug-linked ticket opens."""
    return [
        {
            "type": "contact.changed",
            "account_id": account,
            "contact_id": f"{account}-vp",
            "role": "VP Operations",
            "influence": "high",
            "is_champion": True,
            "departed": True,
        },
        {
            "type": "ticket.changed",
            "account_id": account,
            "ticket_id": f"{account}-t1",
            "status": "opened",
            "severity": "urgent",
            "bug_linked": True,
            "contact_reason": "bug",
        },
    ]

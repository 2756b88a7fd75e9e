"""Re-assess renewal risk (on every relevant event, and on the sweep as days pass), and announce
only changes: risk changed on entering or leaving risk, renewal upcoming on entering each window.
State and events are written through the caller's unit of work (one transaction, outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.champions import DEPARTURE_COUNTS_DAYS
from bellwether_shared.events import renewals as ev
from bellwether_shared.uow import UnitOfWork
from renewals import opportunity_repository as opps
from renewals import repository
from renewals.domain import risk

SOURCE = "bellwether/renewals"
PAGE = 2000


def _inputs(r: asyncpg.Record, today: date) -> risk.Inputs:
    score, before = r["health_score"], r["score_before"]
    return risk.Inputs(
        days_to_renewal=(r["renewal_date"] - today).days,
        colour=r["health_colour"],
        usage_data=r["health_usage_data"] is not False,
        score=score,
        trend=(score - before) if score is not None and before is not None else None,
        champion_departed=bool(r["champion_departed"]),
        exposure=r["exposure"],
        discount_pct=float(r["discount_pct"]) if r["discount_pct"] is not None else None,
        missed_milestones=int(r["missed"]),
        open_severe_tickets=int(r["severe"]),
        deal_flags=tuple(sorted(set(r["flags"]))),
        healthy_champions=r["healthy_champions"],
        problem_severity=r["problem_severity"],
    )


async def reassess(
    uow: UnitOfWork, *, account_ids: Sequence[str] | None, trend_days: int, now: datetime | None = None
) -> int:
    """Re-assess open renewals (of ``account_ids``, or all of them) as of ``now`` (default: the
    unit's time). Returns how many changed."""
    conn, now = uow.conn, now or uow.now
    today = now.date()
    weights = risk.Weights(**(await repository.get_setting(conn, key="risk_weights") or {}))
    after, changed = "", 0
    while True:
        rows = await opps.risk_inputs(
            conn, account_ids=account_ids, trend_since=now - timedelta(days=trend_days), after=after, limit=PAGE,
            departed_since=now - timedelta(days=DEPARTURE_COUNTS_DAYS),
        )  # fmt: skip
        if not rows:
            return changed
        updates: list[tuple[str, float, str, bool, int | None, list[Any]]] = []
        for r in rows:
            inputs = _inputs(r, today)
            a = risk.assess(inputs, weights)
            reasons = [asdict(x) for x in a.reasons]
            if (a.points, a.level, a.at_risk, a.window, reasons) == (
                r["risk_points"],
                r["risk_level"],
                r["at_risk"],
                r["last_window"],
                r["risk_reasons"],
            ):
                continue
            updates.append((r["opportunity_id"], a.points, a.level, a.at_risk, a.window, reasons))
            common = {"account_id": r["account_id"], "opportunity_id": r["opportunity_id"]}
            say = risk.announce(was_at_risk=r["at_risk"], last_window=r["last_window"], now=a)
            uow.emit(  # the assessment moved (points, level, factors): the account view follows it, nobody is paged
                ev.RenewalRiskAssessed(
                    **common, at_risk=a.at_risk, level=a.level, points=a.points, renewal_date=r["renewal_date"],
                    days_to_renewal=inputs.days_to_renewal, arr=float(r["arr"]), owner_id=r["owner_id"],
                    reasons=[ev.RiskReason(**x) for x in reasons],
                ),
                at=now,
            )  # fmt: skip
            if say.risk_changed:
                uow.emit(
                    ev.RenewalRiskChanged(
                        **common,
                        at_risk=a.at_risk,
                        level=a.level,
                        points=a.points,
                        renewal_date=r["renewal_date"],
                        days_to_renewal=inputs.days_to_renewal,
                        arr=float(r["arr"]),
                        owner_id=r["owner_id"],
                        reasons=[ev.RiskReason(**x) for x in reasons],
                    ),
                    at=now,
                )
            if say.window_entered:
                assert a.window is not None
                uow.emit(
                    ev.RenewalUpcoming(
                        **common,
                        renewal_date=r["renewal_date"],
                        days_to_renewal=inputs.days_to_renewal,
                        window=a.window,
                        arr=float(r["arr"]),
                        owner_id=r["owner_id"],
                        owner_role=r["owner_role"],
                        at_risk=a.at_risk,
                    ),
                    at=now,
                )
        await opps.save_risk(conn, rows=updates)
        changed += len(updates)
        after = rows[-1]["opportunity_id"]
        if len(rows) < PAGE:
            return changed

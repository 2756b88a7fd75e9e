"""Calibrate a scorecard from renewal outcomes, and apply a suggestion as a new version (only ever by
an admin's request, never automatically)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

import asyncpg

from bellwether_shared.envelope import utcnow
from health import calibration_repository as repo, config_repository as config, scorecards
from health.domain import calibration as cal

MAX_SAMPLES = 50_000


class CalibrationError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _sample(row: asyncpg.Record) -> cal.Sample:
    subs = {m["key"]: m.get("score") for m in row["measures"]}
    return cal.Sample(row["opportunity_id"], row["outcome"] == "churned", subs)


async def run(
    conn: asyncpg.Connection, *, card_id: str, days_before: int, holdout: float, min_outcomes: int
) -> asyncpg.Record:
    card = await config.latest_scorecard(conn, card_id=card_id)
    if card is None:
        raise CalibrationError(404, "not_found", f"card_id: no scorecard '{card_id}'")
    weights = {m["key"]: float(m["weight"]) for m in card["definition"]["measures"]}
    rows = await repo.samples(conn, card_id=card_id, days_before=days_before, limit=MAX_SAMPLES)
    scored = [_sample(r) for r in rows if r["measures"] is not None]
    result = await asyncio.to_thread(cal.calibrate, scored, weights, holdout=holdout, min_outcomes=min_outcomes)
    doc: dict[str, Any] = asdict(result) | {
        "closed_renewals": len(rows),
        "without_score_before": len(rows) - len(scored),
    }
    params = {"days_before": days_before, "holdout": holdout, "min_outcomes": min_outcomes}
    return await repo.save(conn, card_id=card_id, card_version=card["version"], params=params, result=doc)


async def apply(conn: asyncpg.Connection, *, card_id: str, calibration_id: int) -> tuple[asyncpg.Record, int]:
    """The suggestion as the card's next version (its accounts re-scored); refused when there is none,
    when it was applied already, or when the card changed since it was computed."""
    found = await repo.get(conn, card_id=card_id, calibration_id=calibration_id, lock=True)
    if found is None:
        raise CalibrationError(404, "not_found", f"calibration_id: no calibration {calibration_id} of '{card_id}'")
    suggested = found["result"].get("suggested_weights")
    if not suggested:
        raise CalibrationError(409, "nothing_to_apply", "calibration_id: it made no suggestion (see its notes)")
    if found["applied_version"] is not None:
        raise CalibrationError(409, "already_applied", f"calibration_id: applied as version {found['applied_version']}")
    card = await config.latest_scorecard(conn, card_id=card_id)
    if card is None or card["version"] != found["card_version"]:
        now = "retired" if card is None else f"at version {card['version']}"
        raise CalibrationError(
            409,
            "scorecard_changed",
            f"card_id: the scorecard is {now} since version {found['card_version']} was calibrated; calibrate again",
        )
    measures = [m | {"weight": suggested[m["key"]]} for m in card["definition"]["measures"]]
    body = scorecards.as_input(card, measures=measures)
    row, job = await scorecards.save_version(conn, card_id=card_id, version=card["version"] + 1, body=body)
    await repo.mark_applied(conn, calibration_id=calibration_id, version=row["version"], at=utcnow())
    return row, job

"""Peer benchmarks in the account view on the real PostgreSQL: an account's adoption and health (from
health's score changes) and time to value (its milestones) against the accounts of its industry and
segment; another industry is no peer."""

from __future__ import annotations

from datetime import UTC, datetime

from accounts import query_repository as queries
from accounts.domain import view
from accounts.handlers import make_handler
from bellwether_shared.events import health as hev, ingest as iev
from devkit.events import consumed, signal_fields
from tests.support.db import rolled_back

NOW = datetime.now(UTC)


def _peer(account: str, industry: str, adoption: float, health: float, ttv: int) -> list[object]:
    return [
        consumed(iev.AccountUpserted(**signal_fields(account, NOW), industry=industry, segment="smb"), NOW),
        consumed(
            hev.HealthScoreChanged(
                account_id=account,
                old_value=None,
                new_value=health,
                old_colour=None,
                new_colour="green",
                delta=None,
                sufficient=True,
                scorecard_id="default",
                scorecard_version=1,
                reasons=[],
                computed_at=NOW,
                baseline=True,
                adoption=adoption,
            ),
            NOW,
        ),
        consumed(
            hev.MilestoneAchieved(
                account_id=account, milestone_key="first", name="First", achieved_on=NOW.date(), time_to_value_days=ttv
            ),
            NOW,
        ),
    ]


async def test_an_account_against_the_accounts_of_its_industry_and_segment(accounts_db, run_id) -> None:
    industry = f"logistics-{run_id}"
    mine = f"peer-0-{run_id}"
    records = [
        r for i in range(5) for r in _peer(f"peer-{i}-{run_id}", industry, 0.2 * (i + 1), 40 + 10 * i, 60 - 10 * i)
    ]
    records += _peer(f"other-{run_id}", f"retail-{run_id}", 1.0, 99, 1)  # another industry: no peer
    async with rolled_back(accounts_db.url, schema="accounts") as conn:
        await make_handler()(conn, records)  # type: ignore[arg-type]
        parts = await queries.account(conn, account_id=mine)
    assert parts is not None
    v = view.assemble(parts, [], NOW, min_peers=5)
    p = v["peers"]
    assert p["accounts"] == 5
    by = {b["figure"]: b for b in p["benchmarks"]}
    assert (by["adoption"]["value"], by["adoption"]["percentile"], by["adoption"]["count"]) == (0.2, 20.0, 5)
    assert by["health"]["p50"] == 60.0
    assert (by["time_to_value"]["value"], by["time_to_value"]["percentile"]) == (60.0, 20.0)  # the slowest
    fewer = view.assemble(parts, [], NOW, min_peers=6)["peers"]["benchmarks"]
    assert {b["shown"] for b in fewer} == {False} and {b["count"] for b in fewer} == {5}

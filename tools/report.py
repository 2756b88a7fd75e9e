"""``report``: the executive report of a quarter, fetched from the accounts service (which owns it) and
written as one self-contained HTML page; its headline figures are printed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table


def this_quarter() -> str:
    now = datetime.now(UTC)
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f} %"


def _days(v: float) -> str:
    return f"{v:.0f} day" + ("" if round(v) == 1 else "s")


def headline(doc: dict[str, Any]) -> Table:
    p = doc["retention"]["period"]
    t = Table(title=f"Executive report {doc['period']} ({doc['from']} to {doc['to']})")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_column("from")
    t.add_row("gross revenue retention", _pct(p["grr"]), f"{p['renewals']} renewals, {p['starting_arr']:,.0f} ARR due")
    t.add_row(
        "net revenue retention",
        _pct(p["nrr"]),
        f"{p['expansion_arr']:,.0f} expansion, {p['churned_arr']:,.0f} churned, "
        f"{p['contraction_arr']:,.0f} contraction",
    )
    ttv = doc["time_to_value"]
    t.add_row(
        "median time to value",
        "n/a" if ttv["median_days"] is None else _days(ttv["median_days"]),
        f"{ttv['accounts']} accounts",
    )
    ob = doc["onboarding"]
    t.add_row("onboarding completed", _pct(ob["completion_rate"]), f"{ob['completed']} of {ob['started']}")
    ch = doc["champions"]
    t.add_row(
        "healthy influential champion",
        _pct(ch["share"]),
        f"{ch['with_healthy_influential']} of {ch['assessed_accounts']} accounts",
    )
    t.add_row("at-risk accounts", str(len(doc["at_risk"])), f"ARR from {doc['min_risk_arr']:,.0f}")
    return t


async def write(*, url: str, token: str, period: str, out: Path, min_risk_arr: float) -> dict[str, Any]:
    """Fetch the report (JSON for the figures, HTML for the page) and write the page to ``out``."""
    params: dict[str, Any] = {"period": period, "min_risk_arr": min_risk_arr}
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        doc = await http.get("/v1/reports/executive", params=params)
        doc.raise_for_status()
        page = await http.get("/v1/reports/executive", params=params | {"format": "html"})
        page.raise_for_status()
    await asyncio.to_thread(_save, out, page.text)
    result: dict[str, Any] = doc.json()
    return result


def _save(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def show(console: Console, doc: dict[str, Any], out: Path) -> None:
    console.print(headline(doc))
    console.print(f"Executive report written to {out.resolve()}")

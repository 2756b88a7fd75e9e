"""The demo's CRM write-back: a local HubSpot portal (devkit.crm_receiver, which checks every request
against HubSpot's documented shape) holds one company per demo account; notifications writes each
account's health score, colour, trend, renewal risk with its reasons and open task count back to it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from devkit.crm_receiver import CrmReceiver

FIRST_COMPANY = 7001  # demo account n is HubSpot company 7001 + n (its account.upserted says so: crm_ids)
PROPERTIES = ("health_score", "health_colour", "health_trend", "renewal_risk", "renewal_risk_reasons", "open_tasks")


async def start(notify: str, token: str, accounts: int) -> tuple[CrmReceiver, str]:
    """The portal, and a CRM destination in notifications pointing at it (as an admin sets one up)."""
    portal = CrmReceiver(hubspot_properties={f"bellwether_{p}" for p in PROPERTIES})
    portal.companies.update({str(FIRST_COMPANY + a): {} for a in range(accounts)})
    portal.start()
    body = {"name": "demo HubSpot portal", "kind": "hubspot", "base_url": portal.base_url, "token": portal.token}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        r = await http.post(f"{notify}/v1/crm/destinations", json=body)
        r.raise_for_status()
    return portal, str(r.json()["destination_id"])


async def show(console: Console, notify: str, token: str, portal: CrmReceiver, dest: str, names: list[str]) -> None:
    """Once every demo account's write has settled (bounded wait), what each company shows."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        records: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = await http.get(f"{notify}/v1/crm/destinations/{dest}/records", params={"limit": 1000})
            records = {x["account_id"]: x for x in r.json()["items"] if x["account_id"] in names}
            if len(records) == len(names) and all(not x["dirty"] for x in records.values()):
                break
            await asyncio.sleep(0.5)
        await http.delete(f"{notify}/v1/crm/destinations/{dest}")  # the portal goes away with the demo
    portal.stop()
    t = Table(title=f"CRM write-back: what the local HubSpot portal's companies show ({portal.base_url})")
    for col in ("account", "company", "state", *(p.replace("_", " ") for p in PROPERTIES)):
        t.add_column(col)
    for a, name in enumerate(names):
        shown = portal.companies.get(str(FIRST_COMPANY + a), {})
        state = records.get(name, {}).get("state", "-")
        t.add_row(name, str(FIRST_COMPANY + a), state, *(shown.get(f"bellwether_{p}", "") for p in PROPERTIES))
    console.print(t)
    writes = len(portal.writes)
    console.print(
        f"  {len(portal.requests)} batch update requests ({writes} company updates, only changed properties), "
        f"{sum(r.status == 429 for r in portal.requests)} rate-limited, shape violations: {len(portal.violations)}"
    )

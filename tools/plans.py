"""``plan``: a source's tracking plan from a file. ``import`` reads a JSON file, either Bellwether's form
(``{"mode": ..., "events": {"<event>": <JSON Schema of its properties>}}``) or a Segment Protocols
tracking plan export (``rules.events[].rules``, the JSON Schema of the whole event, whose
``properties.properties`` is taken), and sets it on the source; ``show`` prints it with its violations.

Ingest is ``--url`` (default ``INGEST_URL`` or the development one) with ``ADMIN_TOKEN``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
console = Console()

Url = Annotated[str, typer.Option(envvar="INGEST_URL", help="ingest's base URL")]
Token = Annotated[str, typer.Option(envvar="ADMIN_TOKEN", help="ingest's admin token", show_default=False)]
DEV_URL = "http://127.0.0.1:8081"
DEV_TOKEN = os.environ.get("ADMIN_TOKEN", "dev-admin-token-change-me")


def from_file(doc: Any) -> dict[str, Any]:
    """Either form → Bellwether's ``{"events": {...}}`` (mode left to the caller)."""
    if not isinstance(doc, dict):
        raise typer.BadParameter("the file must hold a JSON object")
    if isinstance(doc.get("events"), dict):
        return {"events": doc["events"], **({"mode": doc["mode"]} if "mode" in doc else {})}
    plan = doc.get("tracking_plan", doc)
    rules = plan.get("rules") if isinstance(plan, dict) else None
    events = rules.get("events") if isinstance(rules, dict) else None
    if not isinstance(events, list):
        raise typer.BadParameter("neither {'events': {...}} nor a Segment tracking plan (rules.events)")
    out: dict[str, Any] = {}
    for i, item in enumerate(events):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise typer.BadParameter(f"rules.events[{i}].name: missing")
        whole = item.get("rules") or {}
        out[name] = ((whole.get("properties") or {}).get("properties")) or {"type": "object"}
    return {"events": out}


@app.command("import")
def import_plan(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the plan (JSON)")],
    source: Annotated[str, typer.Option(help="the source's id, e.g. src_…")],
    mode: Annotated[str | None, typer.Option(help="observe or enforce (default: the file's, else observe)")] = None,
    url: Url = DEV_URL,
    token: Token = DEV_TOKEN,
) -> None:
    """Set the source's tracking plan from FILE."""
    plan = from_file(json.loads(file.read_text()))
    if mode is not None:
        plan["mode"] = mode
    r = httpx.put(
        f"{url}/v1/sources/{source}/tracking-plan", json=plan, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    if r.status_code != 200:
        console.print(f"[red]refused ({r.status_code})[/red]: {r.json().get('message', r.text)}")
        raise typer.Exit(1)
    done = r.json()
    console.print(f"[green]{source}[/green]: {len(done['events'])} planned events, mode {done['mode']}")


@app.command()
def show(
    source: Annotated[str, typer.Option(help="the source's id")], url: Url = DEV_URL, token: Token = DEV_TOKEN
) -> None:
    """The source's plan (event names, mode) and the violations seen."""
    headers = {"Authorization": f"Bearer {token}"}
    plan = httpx.get(f"{url}/v1/sources/{source}/tracking-plan", headers=headers, timeout=30)
    if plan.status_code != 200:
        console.print(plan.json().get("message", plan.text))
        raise typer.Exit(1)
    console.print(f"mode {plan.json()['mode']}: " + ", ".join(sorted(plan.json()["events"])))
    table = Table("event", "kind", "field", "count", "last seen", "last reason")
    for v in httpx.get(f"{url}/v1/sources/{source}/tracking-plan/violations", headers=headers, timeout=30).json()[
        "items"
    ]:
        table.add_row(v["event"], v["kind"], v["field"], str(v["count"]), v["last_seen"], v["last_reason"])
    console.print(table)

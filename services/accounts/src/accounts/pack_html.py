"""A CSM's quarterly pack as one HTML page (the executive report's machinery: a Jinja2 template with
autoescape, so every value from the data is escaped for HTML)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(loader=PackageLoader("accounts", "templates"), autoescape=select_autoescape(["html", "j2"]))


def _money(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def render(p: dict[str, Any]) -> str:
    depth = p["in_depth"]
    return _env.get_template("pack.html.j2").render(
        owner=p["owner"],
        period=p["period"],
        book=f"{p['book']['accounts']} accounts, {_money(p['book']['arr'])} ARR",
        depth=depth,
        depth_health="n/a" if not depth or depth["health"]["value"] is None else f"{depth['health']['value']:.0f}",
        achievements=[(a["day"], a["account"], a["what"]) for a in p["achievements"]],
        challenges=[(c["account"], _money(c["arr"]), c["why"]) for c in p["adoption_challenges"]],
        touches=[(t["kind"].replace("_", " "), t["outcome"], t["count"]) for t in p["touches"]],
        ahead=[
            (a["account"], a["kind"], a["renewal_date"] or "", _money(a["arr"]), a["risk_level"] or "")
            for a in p["ahead"]
        ],
    )

"""The executive report as one self-contained HTML page: a few outcome figures up top, then the charts
(``report_charts``; Plotly's JavaScript inlined once, so the file opens offline). The page is a Jinja2
template with autoescape: every value from the data is escaped for HTML; only Plotly's own markup is
passed through as it is."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape

from accounts.report_charts import figures

_env = Environment(loader=PackageLoader("accounts", "templates"), autoescape=select_autoescape(["html", "j2"]))
Report = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    html: str  # Plotly's markup (a div and its script; the data in it escaped by report_charts): not escaped again
    changes: list[tuple[str, str]]  # under an at-risk account's chart: each change with why, readable without hovering


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.0f} %"


def _days(v: float) -> str:
    return f"{v:.0f} day" + ("" if round(v) == 1 else "s")


def _tiles(r: Report) -> list[tuple[str, str, str]]:
    p, ttv, onb, ch = r["retention"]["period"], r["time_to_value"], r["onboarding"], r["champions"]
    return [
        ("Gross revenue retention", _pct(p["grr"]), f"{p['renewals']} renewals, {p['starting_arr']:,.0f} ARR due"),
        (
            "Net revenue retention",
            _pct(p["nrr"]),
            f"{p['expansion_arr']:,.0f} expansion, {p['churned_arr']:,.0f} churned",
        ),
        (
            "Median time to value",
            "n/a" if ttv["median_days"] is None else _days(ttv["median_days"]),
            f"{ttv['accounts']} accounts",
        ),
        (
            "Onboarding completed",
            _pct(onb["completion_rate"]),
            f"{onb['completed']} of {onb['started']} confirmed by the customer",
        ),
        (
            "Healthy influential champion",
            _pct(ch["share"]),
            f"{ch['with_healthy_influential']} of {ch['assessed_accounts']} accounts",
        ),
        _ladder_tile(r["value_ladder"]),
    ]


def _ladder_tile(v: Report) -> tuple[str, str, str]:
    """The value ladder: the share at "goals met" or above, and where the others stand."""
    counts = ", ".join(f"{x['accounts']} {str(x['rung']).replace('_', ' ')}" for x in v["rungs"] if x["accounts"])
    return ("Goals met or above (value ladder)", _pct(v["goals_met_or_above"]), counts or "no account placed yet")


def _plot(fig: Any, key: str, *, first: bool) -> str:
    """The chart's div and script; Plotly's JavaScript is inlined with the first one only."""
    return str(
        pio.to_html(fig, full_html=False, include_plotlyjs="inline" if first else False, div_id=f"fig-{escape(key)}")
    )


def _charts(r: Report) -> list[Chart]:
    changes = {f"at-risk-{a['account_id']}": a["changes"] for a in r["at_risk"]}
    return [
        Chart(
            key,
            pio.to_html(
                fig, full_html=False, include_plotlyjs="inline" if i == 0 else False, div_id=f"fig-{escape(key)}"
            ),
            [(str(c["occurred_at"])[:10], str(c["title"])) for c in changes.get(key) or []],
        )
        for i, (key, fig) in enumerate(figures(r))
    ]


def _support(v: Report) -> dict[str, Any]:
    """The support section: tickets against the quarter before, bug share, top reasons, what still waits."""
    before = v["tickets_before"]
    change = (
        f"{(v['tickets'] - before) / before * 100:+.0f} % on the quarter before"
        if before
        else "none the quarter before"
    )
    return {
        "headline": f"{v['tickets']} tickets opened ({change}); linked to a bug: {_pct(v['bug_share'])}",
        "reasons": [(str(x["reason"]).replace("_", " "), x["tickets"]) for x in v["top_reasons"]],
        "waiting": [
            (x["title"], x["status"], _days(x["age_days"]), x["accounts"], f"{x['arr']:,.0f}")
            for x in v["unfulfilled_requests"]
        ],
    }


def _figure(unit: str, v: float | None) -> str:
    if v is None:
        return "n/a"
    return _pct(v) if unit == "share" else _days(v) if unit == "days" else f"{v:,.0f}"


def _headline(h: Report) -> tuple[str, str, str]:
    """A headline figure and its trend in words ("▲ 4 pts on the quarter before, better")."""
    if h["change"] is None:
        trend = "no earlier figure to compare" if h["previous"] is None else "unchanged on the quarter before"
    else:
        arrow = "▲" if h["change"] > 0 else "▼"
        size = f"{abs(h['change']) * 100:.0f} pts" if h["unit"] == "share" else _figure(h["unit"], abs(h["change"]))
        trend = f"{arrow} {size} on the quarter before, {'better' if h['improved'] else 'worse'}"
    return h["label"], _figure(h["unit"], h["value"]), trend


def _stories(s: Report) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(heading, [(account, day, words)]) for quotes, wins and escalations; escaped by the template."""
    heads = (("quotes", "What customers said"), ("wins", "Wins"), ("escalations", "Escalations"))
    return [(title, [(x["account"], x["day"], x["text"]) for x in s[key]]) for key, title in heads]


def render(r: Report) -> str:
    return _env.get_template("report.html.j2").render(
        period=r["period"],
        date_from=r["from"],
        date_to=r["to"],
        generated_at=r["generated_at"][:19],
        tiles=_tiles(r),
        min_risk_arr=f"{r['min_risk_arr']:,.0f}",
        at_risk=[
            (a["name"] or a["account_id"], "; ".join(x["text"] for x in (a["risk_reasons"] or [])[:3]))
            for a in r["at_risk"]
        ],
        charts=_charts(r),
        support=_support(r["support"]),
        headlines=[_headline(h) for h in r["headlines"]],
        stories=_stories(r["stories"]),
    )

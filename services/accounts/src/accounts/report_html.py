"""The executive report as one self-contained HTML page: a few outcome figures up top, then charts drawn
by Plotly (its JavaScript inlined once, so the file opens offline); every value that comes from the data
is escaped for HTML."""

from __future__ import annotations

import bisect
from html import escape
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "unknown": "#9e9e9e"}
SIZES = {"high": 36, "medium": 22, "low": 12, None: 10}


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.0f} %"


def _days(v: float) -> str:
    return f"{v:.0f} day" + ("" if round(v) == 1 else "s")


def _t(v: object) -> str:
    """Text drawn by Plotly: it reads a subset of HTML (links, bold, line breaks), so data is escaped."""
    return escape(str(v))


def _retention_bars(title: str, groups: dict[str, dict[str, Any]]) -> go.Figure:
    names = list(groups)
    fig = go.Figure(
        [
            go.Bar(name="GRR", x=[_t(n) for n in names], y=[(groups[n]["grr"] or 0) * 100 for n in names]),
            go.Bar(name="NRR", x=[_t(n) for n in names], y=[(groups[n]["nrr"] or 0) * 100 for n in names]),
        ]
    )
    fig.update_layout(title=title, barmode="group", yaxis_title="%", height=320, margin={"t": 50, "b": 40})
    return fig


def figures(r: dict[str, Any]) -> list[tuple[str, go.Figure]]:
    ret = r["retention"]
    out = [("retention-by-quarter", _retention_bars("Gross and net revenue retention by quarter", ret["by_quarter"]))]
    for key, label in (("by_tier", "tier"), ("by_csm", "CSM (deals CS rejected left out)"), ("by_ae", "AE")):
        out.append((f"retention-{key}", _retention_bars(f"Retention in {r['period']} by {label}", ret[key])))
    rows = r["arr_by_colour"]
    area = go.Figure(
        [
            go.Scatter(
                name=c,
                x=[x["date"] for x in rows],
                y=[x[c] for x in rows],
                stackgroup="arr",
                line={"color": COLOURS[c]},
            )
            for c in COLOURS
        ]
    )
    area.update_layout(title="ARR by health colour over time", yaxis_title="ARR", height=340)
    out.append(("arr-by-colour", area))
    fc = r["forecast"]
    bars = go.Figure([go.Bar(name=c, x=list(fc), y=[fc[q][c] for q in fc], marker_color=COLOURS[c]) for c in COLOURS])
    bars.update_layout(
        title="Renewal forecast: ARR up for renewal by quarter and health colour",
        barmode="stack",
        yaxis_title="ARR",
        height=340,
    )
    out.append(("forecast", bars))
    contacts = r["champions"]["strategic_contacts"]
    quad = go.Figure(
        [
            go.Scatter(
                x=[c["engagement"] for c in contacts],
                y=[c["delight"] for c in contacts],
                mode="markers+text",
                text=[_t(f"{c['name']} ({c['account_name'] or c['account_id']})") for c in contacts],
                textposition="top center",
                marker={"size": [SIZES.get(c["influence"], 10) for c in contacts], "opacity": 0.7},
            )
        ]
    )
    if not contacts:
        quad.add_annotation(x=50, y=75, showarrow=False, text="no champion of a strategic account assessed yet")
    quad.add_hline(y=50, line_dash="dot")
    quad.add_vline(x=50, line_dash="dot")
    quad.update_layout(
        title="Champions of strategic accounts: engagement against delight (size: influence)",
        xaxis={"title": "engagement", "range": [0, 105]},
        yaxis={"title": "delight", "range": [0, 105]},
        height=420,
    )
    out.append(("champion-quadrant", quad))
    for a in r["at_risk"]:
        s = a["scores"]
        fig = go.Figure(
            [go.Scatter(x=[x["at"] for x in s], y=[x["value"] for x in s], mode="lines+markers", name="score")]
        )
        if a["changes"]:  # each change of score, at the score it left, with why
            at = [x["at"] for x in s]
            ys = [
                s[max(bisect.bisect_right(at, c["occurred_at"]) - 1, 0)]["value"] if s else None for c in a["changes"]
            ]
            fig.add_trace(
                go.Scatter(
                    x=[c["occurred_at"] for c in a["changes"]],
                    y=ys,
                    mode="markers",
                    name="changes",
                    hovertext=[_t(c["title"]) for c in a["changes"]],
                    marker={"symbol": "diamond", "size": 10},
                )
            )
        fig.update_layout(
            title=f"{_t(a['name'] or a['account_id'])}: health score (at risk, {a['arr']:,.0f} ARR)",
            yaxis={"range": [0, 100]},
            height=300,
        )
        out.append((f"at-risk-{a['account_id']}", fig))
    return out


def _changes(r: dict[str, Any], key: str) -> str:
    """Under an at-risk account's chart: each change of its score with why, readable without hovering."""
    account = next((a for a in r["at_risk"] if f"at-risk-{a['account_id']}" == key), None)
    if account is None or not account["changes"]:
        return ""
    items = "".join(f"<li>{escape(str(c['occurred_at'])[:10])}: {escape(c['title'])}</li>" for c in account["changes"])
    return f'<ol class="changes">{items}</ol>'


def render(r: dict[str, Any]) -> str:
    figs = figures(r)
    charts = "\n".join(
        f'<section class="chart" id="{escape(key)}">'
        + pio.to_html(fig, full_html=False, include_plotlyjs="inline" if i == 0 else False, div_id=f"fig-{escape(key)}")
        + _changes(r, key)
        + "</section>"
        for i, (key, fig) in enumerate(figs)
    )
    p = r["retention"]["period"]
    tiles = [
        ("Gross revenue retention", _pct(p["grr"]), f"{p['renewals']} renewals, {p['starting_arr']:,.0f} ARR due"),
        (
            "Net revenue retention",
            _pct(p["nrr"]),
            f"{p['expansion_arr']:,.0f} expansion, {p['churned_arr']:,.0f} churned",
        ),
        (
            "Median time to value",
            "n/a" if r["time_to_value"]["median_days"] is None else _days(r["time_to_value"]["median_days"]),
            f"{r['time_to_value']['accounts']} accounts",
        ),
        (
            "Onboarding completed",
            _pct(r["onboarding"]["completion_rate"]),
            f"{r['onboarding']['completed']} of {r['onboarding']['started']} confirmed by the customer",
        ),
        (
            "Healthy influential champion",
            _pct(r["champions"]["share"]),
            f"{r['champions']['with_healthy_influential']} of {r['champions']['assessed_accounts']} accounts",
        ),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="label">{escape(a)}</div><div class="value">{escape(b)}</div>'
        f'<div class="note">{escape(c)}</div></div>'
        for a, b, c in tiles
    )
    risk_items = (
        "".join(
            f"<li><b>{escape(str(a['name'] or a['account_id']))}</b>: "
            + escape("; ".join(x["text"] for x in (a["risk_reasons"] or [])[:3]))
            + "</li>"
            for a in r["at_risk"]
        )
        or "<li>none above the size</li>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bellwether executive report {escape(r["period"])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}} .tiles{{display:flex;gap:12px;flex-wrap:wrap}}
.tile{{border:1px solid #ddd;border-radius:8px;padding:12px 16px;min-width:180px}} .label{{color:#666;font-size:13px}}
.value{{font-size:28px;font-weight:600}} .note{{color:#888;font-size:12px}} .chart{{margin-top:18px}}</style>
</head><body>
<h1>Executive report {escape(r["period"])}</h1>
<p>Renewals due {escape(r["from"])} to {escape(r["to"])}; generated {escape(r["generated_at"][:19])} UTC.</p>
<div class="tiles">{tile_html}</div>
<h2>At-risk accounts above {r["min_risk_arr"]:,.0f} ARR</h2><ul>{risk_items}</ul>
{charts}
</body></html>"""

"""The executive report's charts, drawn by Plotly: retention by quarter and by group, ARR by health colour,
the renewal forecast, the champions' quadrant and each at-risk account's score. Text Plotly draws is
escaped (it reads a subset of HTML); a figure the data lacks is a gap, never a zero."""

from __future__ import annotations

import bisect
from html import escape
from typing import Any

import plotly.graph_objects as go

COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "unknown": "#9e9e9e"}
SIZES = {"high": 36, "medium": 22, "low": 12, None: 10}
Report = dict[str, Any]


def _t(v: object) -> str:
    """Text drawn by Plotly: it reads a subset of HTML (links, bold, line breaks), so data is escaped."""
    return escape(str(v))


def _pct_or_gap(v: float | None) -> float | None:
    return None if v is None else v * 100


def _retention_bars(title: str, groups: dict[str, dict[str, Any]]) -> go.Figure:
    names = [_t(n) for n in groups]
    fig = go.Figure(
        [
            go.Bar(name="GRR", x=names, y=[_pct_or_gap(g["grr"]) for g in groups.values()]),
            go.Bar(name="NRR", x=names, y=[_pct_or_gap(g["nrr"]) for g in groups.values()]),
        ]
    )
    fig.update_layout(title=title, barmode="group", yaxis_title="%", height=320, margin={"t": 50, "b": 40})
    return fig


def retention(r: Report) -> list[tuple[str, go.Figure]]:
    ret = r["retention"]
    out = [("retention-by-quarter", _retention_bars("Gross and net revenue retention by quarter", ret["by_quarter"]))]
    for key, label in (("by_tier", "tier"), ("by_csm", "CSM (deals CS rejected left out)"), ("by_ae", "AE")):
        out.append((f"retention-{key}", _retention_bars(f"Retention in {r['period']} by {label}", ret[key])))
    return out


def arr_by_colour(r: Report) -> go.Figure:
    rows = r["arr_by_colour"]
    area = go.Figure(
        [
            go.Scatter(
                name=c, x=[x["date"] for x in rows], y=[x[c] for x in rows], stackgroup="arr", line={"color": colour}
            )
            for c, colour in COLOURS.items()
        ]
    )
    area.update_layout(title="ARR by health colour over time", yaxis_title="ARR", height=340)
    return area


def forecast(r: Report) -> go.Figure:
    fc = r["forecast"]
    bars = go.Figure([go.Bar(name=c, x=list(fc), y=[fc[q][c] for q in fc], marker_color=COLOURS[c]) for c in COLOURS])
    bars.update_layout(
        title="Renewal forecast: ARR up for renewal by quarter and health colour",
        barmode="stack",
        yaxis_title="ARR",
        height=340,
    )
    return bars


def champion_quadrant(r: Report) -> go.Figure:
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
    return quad


def at_risk_score(a: dict[str, Any]) -> go.Figure:
    """An at-risk account's score over time, each change marked at the score it left, with why."""
    s = a["scores"]
    fig = go.Figure([go.Scatter(x=[x["at"] for x in s], y=[x["value"] for x in s], mode="lines+markers", name="score")])
    if a["changes"]:
        at = [x["at"] for x in s]
        ys = [s[max(bisect.bisect_right(at, c["occurred_at"]) - 1, 0)]["value"] if s else None for c in a["changes"]]
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
    return fig


def figures(r: Report) -> list[tuple[str, go.Figure]]:
    """Every chart of the report, keyed by the id of its section on the page."""
    out = retention(r)
    out += [("arr-by-colour", arr_by_colour(r)), ("forecast", forecast(r))]
    out.append(("champion-quadrant", champion_quadrant(r)))
    out += [(f"at-risk-{a['account_id']}", at_risk_score(a)) for a in r["at_risk"]]
    return out

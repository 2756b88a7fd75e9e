"""The executive report from a known portfolio, projected by the real handlers into a database of its own
(so the whole-portfolio figures see only these accounts): the figures are the ones the outcomes imply,
and the HTML page renders in a real headless Chromium with no console error and data in every chart
(its screenshot is kept under .artifacts/)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from accounts import pack, pack_html, report, report_html
from accounts.domain import report as rp
from accounts.handlers import make_handler
from bellwether_shared.events import health as hev, ingest as iev, renewals as rev
from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed
from conftest import ServiceDb, migrated, new_database
from devkit.events import consumed, signal_fields
from tests.support.db import rolled_back

NOW = datetime.now(UTC)
TODAY = NOW.date()
PERIOD = rp.quarter_of(TODAY)
Q_START, Q_END = rp.quarter_bounds(PERIOD)
NEXT_Q = rp.quarter_bounds(rp.quarters(PERIOD, ahead=1)[1])[0]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parents[4] / ".artifacts"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def portfolio_db(endpoints: Any) -> ServiceDb:
    return migrated(new_database(endpoints.admin_database_url, prefix="bw_report_"), "accounts")


def rec(event: Event, at: datetime = NOW) -> Consumed:
    return consumed(event, at)


def sig(account: str, at: datetime = NOW) -> dict[str, Any]:
    return signal_fields(account, at)


def account(acct: str, name: str, tier: str, arr: float, csm: str, *, started: date | None = None) -> Consumed:
    at = NOW - timedelta(days=200)
    return rec(
        iev.AccountUpserted(
            **sig(acct, at),
            name=name,
            tier=tier,
            arr=arr,
            onboarding_started_at=started,
            owners=iev.Owners(csm=csm, ae="abe"),
        ),
        at,
    )


def closed(acct: str, arr: float, change: float, outcome: rev.Outcome, reason: str | None = None) -> list[Consumed]:
    opp = f"renewal-{acct}"
    return [
        rec(
            rev.OpportunityCreated(
                account_id=acct,
                opportunity_id=opp,
                kind="renewal",
                contract_id=f"C-{acct}",
                renewal_date=Q_START + timedelta(days=3),
                arr=arr,
                owner_id="x",
                owner_role="csm",
            )
        ),
        rec(
            rev.RenewalClosed(
                account_id=acct,
                opportunity_id=opp,
                outcome=outcome,
                arr=arr,
                arr_change=change,
                closed_at=NOW,
                reason=reason,
                renewal_date=Q_START + timedelta(days=3),
            )
        ),
    ]


def score(acct: str, value: float, colour: hev.Colour, at: datetime) -> Consumed:
    why = [hev.Reason(key="usage", delta=-10, text="usage <fell> & more")]
    return rec(
        hev.HealthScoreChanged(
            account_id=acct,
            old_value=None,
            new_value=value,
            old_colour=None,
            new_colour=colour,
            delta=0,
            sufficient=True,
            scorecard_id="default",
            scorecard_version=1,
            computed_at=at,
            reasons=why,
        ),
        at,
    )


def support_tickets() -> list[Consumed]:
    """Three tickets this quarter (one a bug, one without a reason), one the quarter before; a request
    still planned, asked by two accounts, and one shipped."""
    prev = datetime.combine(Q_START, datetime.min.time(), tzinfo=UTC) - timedelta(days=5)

    def ticket(account: str, tid: str, at: datetime, reason: str | None, bug: bool = False) -> Consumed:
        e = iev.TicketChanged(
            **sig(account, at), ticket_id=tid, status="opened", severity="low", bug_linked=bug, opened_at=at
        )
        return rec(e.model_copy(update={"contact_reason": reason}), at)

    def request(account: str, rid: str, title: str, status: Any) -> Consumed:
        at = NOW - timedelta(days=45)
        return rec(iev.FeatureRequestStatusChanged(**sig(account, at), request_id=rid, title=title, status=status), at)

    return [
        ticket("r-exp", "s1", NOW, "how_to"),
        ticket("r-exp", "s2", NOW, "bug", bug=True),
        ticket("r-down", "s3", NOW, None),
        ticket("r-down", "s4", prev, "billing"),
        request("r-exp", "q1", "<b>SSO</b>", "planned"),
        request("r-down", "q1", "<b>SSO</b>", "planned"),
        request("r-down", "q2", "Dark mode", "shipped"),
    ]


def story_events(big_at_risk: str, risk: list[rev.RiskReason]) -> list[Consumed]:
    """The quarter's quotes, a win and an escalation."""
    escalated = rev.RenewalRiskEscalated(
        account_id=big_at_risk,
        opportunity_id="renewal-big",
        tier="strategic",
        escalate_within_days=120,
        level="high",
        points=70,
        renewal_date=NEXT_Q + timedelta(days=10),
        days_to_renewal=90,
        arr=80_000,
        owner_id="cara",
        reasons=risk,
    )
    expansion = rev.OpportunityCreated(
        account_id="r-exp",
        opportunity_id="exp-1",
        kind="expansion",
        contract_id=None,
        renewal_date=None,
        arr=25_000,
        owner_id="abe",
        owner_role="ae",
    )
    return [
        rec(iev.NpsSubmitted(**sig("r-exp"), contact_id="vp", score=10, comment="The team lives in it")),
        rec(iev.NpsSubmitted(**sig("r-down"), contact_id="ops", score=3, comment="<i>slow</i> exports")),
        rec(escalated),
        rec(expansion),
    ]


def portfolio() -> list[Consumed]:
    """Four renewals closed in the quarter (one on a deal CS rejected), one big open renewal at risk next
    quarter, onboarding and time to value, champions."""
    risk = [rev.RiskReason(factor="score_red", points=40, text="health is red <b>since</b> March")]
    big_at_risk = "r-risk"
    events = [
        account("r-exp", "Expanding & Co", "strategic", 100_000, "cara", started=TODAY - timedelta(days=120)),
        account("r-churn", "Churned Ltd", "strategic", 50_000, "cara", started=TODAY - timedelta(days=100)),
        account("r-down", "Downsized", "mid", 40_000, "dan"),
        account("r-rej", "Rejected deal", "mid", 30_000, "dan"),
        account(big_at_risk, "<script>alert(1)</script> Big", "strategic", 80_000, "cara"),
        *closed("r-exp", 100_000, 20_000, "expanded"),
        *closed("r-churn", 50_000, -50_000, "churned", "price"),
        *closed("r-down", 40_000, -10_000, "downgraded", "budget"),
        *closed("r-rej", 30_000, -30_000, "churned", "value_not_realised"),
        rec(
            rev.DealRejected(
                account_id="r-rej", deal_id="D", proposed_by="dan", approved_by="vic", failed_criteria=["champion_fit"]
            )
        ),
        rec(iev.OnboardingConfirmed(**sig("r-exp"), aspect="technical", confirmed_by="c")),
        rec(iev.OnboardingConfirmed(**sig("r-exp"), aspect="process", confirmed_by="c")),
        rec(iev.OnboardingConfirmed(**sig("r-churn"), aspect="technical", confirmed_by="c")),
        *[
            rec(
                hev.MilestoneAchieved(
                    account_id=a, milestone_key="first", name="First", achieved_on=TODAY, time_to_value_days=d
                )
            )
            for a, d in (("r-exp", 12), ("r-churn", 30), ("r-down", 20))
        ],
        rec(hev.ChampionCoverageChanged(account_id="r-exp", healthy_influential=1, target=3, assessed_at=NOW)),
        rec(hev.ChampionCoverageChanged(account_id="r-churn", healthy_influential=0, target=3, assessed_at=NOW)),
        rec(
            hev.ContactAssessed(
                account_id="r-exp",
                contact_id="vp",
                label="the VP",
                engagement=80,
                delight=70,
                influence="high",
                quadrant="engaged_delighted",
                healthy=True,
                influential=True,
                why=[],
                assessed_at=NOW,
            )
        ),
        *[
            rec(hev.ValueLadderChanged.model_validate(ladder | {"reason": "r", "assessed_at": NOW}))
            for ladder in (
                {"account_id": "r-exp", "rung": "value_others_see", "step": 4, "previous_rung": None},
                {"account_id": "r-down", "rung": "uses_it", "step": 1, "previous_rung": None},
                {"account_id": "r-rej", "rung": "goals_met", "step": 3, "previous_rung": None},
            )
        ],
        *support_tickets(),
        *story_events(big_at_risk, risk),
        score("r-exp", 80, "green", NOW - timedelta(days=150)),
        score(big_at_risk, 75, "green", NOW - timedelta(days=150)),
        score(big_at_risk, 35, "red", NOW - timedelta(days=20)),
        rec(
            rev.OpportunityCreated(
                account_id=big_at_risk,
                opportunity_id="renewal-big",
                kind="renewal",
                contract_id="C-big",
                renewal_date=NEXT_Q + timedelta(days=10),
                arr=80_000,
                owner_id="cara",
                owner_role="csm",
            )
        ),
        rec(
            rev.RenewalRiskChanged(
                account_id=big_at_risk,
                opportunity_id="renewal-big",
                at_risk=True,
                level="high",
                points=70,
                renewal_date=NEXT_Q + timedelta(days=10),
                days_to_renewal=90,
                arr=80_000,
                owner_id="cara",
                reasons=risk,
            )
        ),
    ]
    return events


@pytest.fixture(scope="module")
def doc(portfolio_db: ServiceDb) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        async with rolled_back(portfolio_db.url, schema="accounts") as conn:
            await make_handler()(conn, portfolio())
            return await report.build(conn, period=PERIOD, min_risk_arr=50_000, today=TODAY)

    return asyncio.run(build())


def test_retention_follows_from_the_outcomes(doc: dict[str, Any]) -> None:
    period = doc["retention"]["period"]
    assert (period["renewals"], period["starting_arr"], period["churned_arr"]) == (4, 220_000, 80_000)
    assert (period["contraction_arr"], period["expansion_arr"]) == (10_000, 20_000)
    assert period["grr"] == round(130 / 220, 4) and period["nrr"] == round(150 / 220, 4)
    by_csm = doc["retention"]["by_csm"]  # the deal CS rejected is not dan's
    assert by_csm["dan"]["renewals"] == 1 and by_csm["dan"]["grr"] == 0.75
    assert by_csm["cara"]["grr"] == round(100 / 150, 4) and by_csm["cara"]["nrr"] == 0.8
    assert doc["retention"]["by_tier"]["mid"]["renewals"] == 2  # but it is the tier's
    assert doc["retention"]["by_quarter"][PERIOD]["grr"] == period["grr"]


def test_arr_forecast_and_tiles(doc: dict[str, Any]) -> None:
    latest = doc["arr_by_colour"][-1]
    assert latest["red"] == 80_000 and latest["green"] == 100_000 and latest["unknown"] == 120_000
    earliest = doc["arr_by_colour"][0]  # a year ago nothing was scored yet
    assert earliest["unknown"] == 300_000
    nxt = rp.quarters(PERIOD, ahead=1)[1]
    assert doc["forecast"][nxt]["red"] == 80_000 and sum(doc["forecast"][PERIOD].values()) == 0
    assert doc["time_to_value"] == {"median_days": 20.0, "accounts": 3}
    assert doc["onboarding"] == {"started": 2, "completed": 1, "completion_rate": 0.5}
    champions = doc["champions"]
    assert (champions["assessed_accounts"], champions["with_healthy_influential"], champions["share"]) == (2, 1, 0.5)
    assert [c["contact_id"] for c in champions["strategic_contacts"]] == ["vp"]
    ladder = doc["value_ladder"]  # three accounts placed (two of them at goals met or above), two not yet
    assert [(r["rung"], r["accounts"], r["arr"]) for r in ladder["rungs"] if r["accounts"]] == [
        ("uses_it", 1, 40_000),
        ("goals_met", 1, 30_000),
        ("value_others_see", 1, 100_000),
    ]
    assert (ladder["placed"], ladder["not_placed"], ladder["goals_met_or_above"]) == (3, 2, round(2 / 3, 4))
    heads = {h["key"]: h for h in doc["headlines"]}
    assert list(heads) == ["nrr", "grr", "arr_at_risk", "time_to_value"]  # the default choice, in order
    assert heads["grr"]["value"] == doc["retention"]["period"]["grr"]
    assert (heads["arr_at_risk"]["value"], heads["arr_at_risk"]["change"]) == (80_000, None)
    assert (heads["time_to_value"]["value"], heads["time_to_value"]["previous"]) == (20.0, None)
    stories = doc["stories"]
    assert [q["account_id"] for q in stories["quotes"]] == ["r-exp", "r-down"]  # the larger account first
    assert sorted(w["text"].split(":")[0] for w in stories["wins"] if w["account_id"] == "r-exp") == [
        "Expansion opportunity opened",
        "Renewal closed",
    ]
    assert [e["account_id"] for e in stories["escalations"]] == ["r-risk"]
    support = doc["support"]
    assert (support["tickets"], support["tickets_before"], support["bug_share"]) == (3, 1, round(1 / 3, 4))
    assert {x["reason"]: x["tickets"] for x in support["top_reasons"]} == {"how_to": 1, "bug": 1, "unclassified": 1}
    [sso] = support["unfulfilled_requests"]  # the shipped one is fulfilled
    assert (sso["title"], sso["accounts"], sso["arr"], sso["age_days"]) == ("<b>SSO</b>", 2, 140_000, 45)
    [risky] = doc["at_risk"]
    assert risky["account_id"] == "r-risk" and [s["value"] for s in risky["scores"]] == [75, 35]
    assert len(risky["changes"]) == 2 and risky["risk_reasons"][0]["factor"] == "score_red"


def test_the_page_renders_in_chromium_with_data_in_every_chart(doc: dict[str, Any]) -> None:
    html = report_html.render(doc)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>since</b>" not in html
    assert "3 tickets opened (+200 % on the quarter before); linked to a bug: 33 %" in html
    assert "&lt;b&gt;SSO&lt;/b&gt;" in html and "<b>SSO</b>" not in html
    assert "Goals met or above (value ladder)" in html
    assert html.index("Net revenue retention") < html.index("What customers said") < html.index("The detail")
    assert (
        "&lt;i&gt;slow&lt;/i&gt; exports" in html
        and "<i>slow</i>" not in html
        and "1 uses it, 1 goals met, 1 value others see" in html
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_file = ARTIFACTS / f"executive-report-{PERIOD}.html"
    page_file.write_text(html)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
            page.goto(page_file.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 7", timeout=20_000)
            points = page.evaluate(
                """() => [...document.querySelectorAll('.js-plotly-plot')].map(d => [d.id,
                     d.data.reduce((n, t) => n + (t.y || []).filter(v => v !== null && v !== 0).length, 0),
                     d.querySelectorAll('.point, .bars path, .scatterlayer .trace path').length])"""
            )
            page.screenshot(path=str(ARTIFACTS / f"executive-report-{PERIOD}.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    ids = {p[0] for p in points}
    assert {
        "fig-retention-by-quarter",
        "fig-arr-by-colour",
        "fig-forecast",
        "fig-champion-quadrant",
        "fig-at-risk-r-risk",
    } <= ids
    empty = [p[0] for p in points if p[1] == 0 or p[2] == 0]
    assert empty == []
    assert (ARTIFACTS / f"executive-report-{PERIOD}.png").stat().st_size > 10_000


def test_each_change_of_an_at_risk_score_is_listed_with_why(doc: dict[str, Any]) -> None:
    html = report_html.render(doc)
    assert html.count("usage &lt;fell&gt; &amp; more</li>") == 2 and "<fell>" not in html


def test_an_empty_chart_says_why_it_is_empty(doc: dict[str, Any]) -> None:
    empty = doc | {"champions": doc["champions"] | {"strategic_contacts": []}}
    assert "no champion of a strategic account assessed yet" in report_html.render(empty)
    assert "no champion of a strategic account assessed yet" not in report_html.render(doc)


@pytest.fixture(scope="module")
def pack_doc(portfolio_db: ServiceDb) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        async with rolled_back(portfolio_db.url, schema="accounts") as conn:
            await make_handler()(conn, portfolio())
            with pytest.raises(ValueError, match="not in cara's book"):
                await pack.build(conn, owner="cara", period=PERIOD, today=TODAY, account_id="r-down")
            return await pack.build(conn, owner="cara", period=PERIOD, today=TODAY)

    return asyncio.run(build())


def test_a_csms_pack_holds_the_book_the_quarter_and_what_is_ahead(pack_doc: dict[str, Any]) -> None:
    p = pack_doc
    assert p["book"]["accounts"] == 3 and p["in_depth"]["account_id"] == "r-exp"  # the largest of cara's book
    whats = " | ".join(a["what"] for a in p["achievements"])
    assert "Expansion opportunity opened" in whats and "Milestone" in whats
    assert "renewed" in whats or "expanded" in whats  # r-exp renewed larger this quarter
    assert [a["kind"] for a in p["ahead"] if a["account"].endswith("Big")] == ["renewal"]


def test_the_pack_renders_in_chromium_escaped(pack_doc: dict[str, Any]) -> None:
    html = pack_html.render(pack_doc)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Big" in html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_file = ARTIFACTS / f"csm-pack-cara-{PERIOD}.html"
    page_file.write_text(html)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
            page.goto(page_file.as_uri())
            headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
            rows = page.eval_on_selector_all("table.ahead tr", "rs => rs.length")
        finally:
            browser.close()
    assert errors == []
    assert headings[0].startswith("In depth: Expanding") and "Adoption challenges" in headings
    assert rows >= 2  # the header and the renewal ahead

"""Support as support leaders read it (bellwether_shared.support): a rate per active user, not a count;
its trend; the bug share; the top reasons; what is still waiting; and silence that is not health."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st

from bellwether_shared.support import Request, Window, silent, summarise

TODAY = date(2026, 12, 7)


def test_a_window_against_the_one_before() -> None:
    now = Window(tickets=12, bugs=3, reasons={"how_to": 6, "bug": 3, "billing": 2, "unclassified": 1})
    before = Window(tickets=5, bugs=1, reasons={"how_to": 5})
    waiting = [
        Request("SSO", "planned", TODAY - timedelta(days=120), waiting_accounts=4),
        Request("Export", "open", TODAY - timedelta(days=10)),
        Request("Dark mode", "shipped", TODAY - timedelta(days=300)),
    ]
    s = summarise(now, before, active_users=40, active_users_before=50, requests=waiting, today=TODAY, top=3)
    assert (s.contact_rate, s.contact_rate_before) == (0.3, 0.1)
    assert s.trend_pct == 200.0 and s.bug_share == 0.25
    assert s.top_reasons == [("how_to", 6), ("bug", 3), ("billing", 2)]
    assert s.unfulfilled == [("SSO", "planned", 120, 4), ("Export", "open", 10, 1)]  # shipped is fulfilled


def test_no_active_user_or_no_ticket_is_no_figure_not_zero() -> None:
    s = summarise(Window(), Window(), active_users=0, active_users_before=0, today=TODAY)
    assert (s.contact_rate, s.trend_pct, s.bug_share, s.top_reasons) == (None, None, None, [])
    quiet = summarise(Window(), Window(tickets=2), active_users=10, active_users_before=10, today=TODAY)
    assert quiet.contact_rate == 0.0 and quiet.trend_pct == -100.0


def test_silence_from_a_large_account_only() -> None:
    long_ago = TODAY - timedelta(days=91)
    assert silent(seats=200, last_contact=long_ago, today=TODAY, from_seats=50, days=90)
    assert silent(seats=200, last_contact=None, today=TODAY, from_seats=50, days=90)
    assert not silent(seats=200, last_contact=TODAY - timedelta(days=30), today=TODAY, from_seats=50, days=90)
    assert not silent(seats=10, last_contact=None, today=TODAY, from_seats=50, days=90)  # a small one may be quiet
    assert not silent(seats=None, last_contact=None, today=TODAY, from_seats=50, days=90)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500), st.integers(1, 500))
def test_the_rate_is_tickets_per_user_and_bugs_never_exceed_the_share(
    tickets: int, bugs: int, users: int, u0: int
) -> None:
    bugs = min(bugs, tickets)
    s = summarise(Window(tickets, bugs), Window(tickets), active_users=users, active_users_before=u0, today=TODAY)
    assert s.contact_rate == (round(tickets / users, 4) if users else None)
    assert s.bug_share is None or 0.0 <= s.bug_share <= 1.0

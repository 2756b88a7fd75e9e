"""Destination targets checked at creation (pure): e-mail addresses and host names."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from notifications.domain import addresses, urlguard


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("ann@example.com\r\nBcc: all@example.com", "one line"),
        ("ann@example.com\n", "one line"),
        ("a@b", "not an e-mail address"),
        ("x@@example.com", "not an e-mail address"),
        ("no-at-sign.example.com", "not an e-mail address"),
    ],
)
def test_bad_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    with pytest.raises(addresses.Invalid, match=reason):
        addresses.email(address)


def test_good_addresses_are_normalised() -> None:
    assert addresses.email("Ann.Lee@Example.COM") == "Ann.Lee@example.com"
    assert addresses.email("müller@exämple.de") == "müller@exämple.de"


@pytest.mark.parametrize(
    "host",
    [
        "a" * 64 + ".example.com",
        "bad_label.example.com",
        "-lead.example.com",
        "a..b.example.com",
        ".".join(["abcdefghi"] * 26),
    ],
)
def test_invalid_host_names_are_refused(host: str) -> None:
    with pytest.raises(addresses.Invalid):
        addresses.hostname(host)
    with pytest.raises(urlguard.Refused):
        urlguard.parse(f"https://{host}/hook")


def test_valid_host_names_pass_lower_cased_and_idna_encoded() -> None:
    assert addresses.hostname("Hooks.Example.COM") == "hooks.example.com"
    assert addresses.hostname("bücher.example") == "xn--bcher-kva.example"
    assert addresses.hostname("10.1.2.3") == "10.1.2.3"


@given(st.text(max_size=300))
def test_any_host_is_decided_without_an_unexpected_error(host: str) -> None:
    try:
        out = addresses.hostname(host)
    except addresses.Invalid:
        return
    assert out.isascii()

"""Pure core: the SSRF guard refuses every internal address form; signatures verify with an
independent implementation of Standard Webhooks."""

from __future__ import annotations

import ipaddress
import time

import pytest
from hypothesis import given, strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.domain import signing, urlguard

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",
    "100.127.255.254",  # carrier-grade NAT
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1",
    "::10.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",  # NAT64
    "64:ff9b:1:a00:0:100:808:808",  # local-use NAT64, /48 format: 10.0.0.1 (the last 32 bits said 8.8.8.8)
    "64:ff9b:1:7f:0:1:808:808",  # /56 format: 127.0.0.1
    "fec0::1",
    "fec0:1:2::3",  # site-local (deprecated; Python's ipaddress calls it global)
    "2002:7f00:1::1",
    "2002:a00:1::1",  # 6to4 around internal IPv4
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_internal_form_is_refused_with_a_reason(address: str) -> None:
    why = urlguard.refusal(ipaddress.ip_address(address))
    assert (why is not None and address.split("/")[0] in why) or why  # the reason names the address
    with pytest.raises(urlguard.Refused):
        urlguard.check_addresses([address])


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_are_allowed(address: str) -> None:
    assert urlguard.refusal(ipaddress.ip_address(address)) is None


def test_the_host_header_brackets_ipv6_literals_and_omits_default_ports() -> None:
    assert urlguard.host_header(urlguard.parse("https://[2606:4700::1]/h"), 443) == "[2606:4700::1]"
    assert urlguard.host_header(urlguard.parse("http://[2606:4700::1]:8080/h"), 80) == "[2606:4700::1]:8080"
    assert urlguard.host_header(urlguard.parse("https://hooks.example.com:8443/h"), 443) == "hooks.example.com:8443"


def test_a_name_that_also_resolves_inside_is_refused() -> None:
    with pytest.raises(urlguard.Refused, match=r"10\.0\.0\.5"):
        urlguard.check_addresses(["93.184.216.34", "10.0.0.5"])
    with pytest.raises(urlguard.Refused, match="does not resolve"):
        urlguard.check_addresses([])


def test_the_allowlist_opens_exactly_its_networks() -> None:
    allow = [ipaddress.ip_network("127.0.0.0/8")]
    assert urlguard.check_addresses(["127.0.0.1"], allow) == ipaddress.ip_address("127.0.0.1")
    assert urlguard.refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow) is None  # same address, mapped
    with pytest.raises(urlguard.Refused):
        urlguard.check_addresses(["10.0.0.1"], allow)
    with pytest.raises(urlguard.Refused):
        urlguard.check_addresses(["::1"], allow)  # IPv6 loopback is another network


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://user:pw@example.com/", "credentials"),
        ("https:///nohost", "no host"),
        ("https://example.com:99999/", "port"),
        ("gopher://127.0.0.1:25/", "scheme"),
    ],
)
def test_urls_are_checked_before_any_lookup(url: str, reason: str) -> None:
    with pytest.raises(urlguard.Refused, match=reason):
        urlguard.parse(url)


def test_parse_keeps_path_and_query_and_default_ports() -> None:
    assert urlguard.parse("https://hooks.example.com/a/b?x=1") == urlguard.Target(
        "https", "hooks.example.com", 443, "/a/b?x=1"
    )
    assert urlguard.parse("http://[2606:4700::1]:8080").port == 8080


@given(st.ip_addresses())
def test_any_address_is_refused_or_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    why = urlguard.refusal(ip)
    if why is None:
        inner = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
        assert (inner or ip).is_global


def test_signatures_verify_with_the_standard_webhooks_library() -> None:
    secret = signing.new_secret()
    body = b'{"type":"bellwether.alert.v1","n":1}'
    ts = int(time.time())
    hdrs = signing.headers([secret], "msg_abc", ts, body)
    assert Webhook(secret).verify(body, hdrs) == {"type": "bellwether.alert.v1", "n": 1}
    assert signing.verify(secret, hdrs, body, now=ts)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", hdrs)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, hdrs)
    assert not signing.verify(secret, hdrs, body, now=ts + 3600)  # too old


def test_during_rotation_both_secrets_sign() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = b"{}"
    hdrs = signing.headers([old, new], "msg_1", int(time.time()), body)
    assert len(hdrs["webhook-signature"].split()) == 2
    Webhook(old).verify(body, hdrs)
    Webhook(new).verify(body, hdrs)

"""Server-side request forgery guard for delivery targets: only http(s) URLs without credentials,
whose every resolved address is global. Loopback, private, link-local, carrier-grade NAT, multicast,
reserved, unspecified and site-local (fec0::/10) addresses are refused, including when hidden in
IPv4-mapped (::ffff:a.b.c.d),
IPv4-compatible, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32)
forms. An explicit allowlist of networks (off by default) lets tests and local runs use loopback
receivers. Redirects are never followed (see the delivery code)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from notifications.domain import addresses

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

WELL_KNOWN_NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: the operator picks the RFC 6052 format
NAT64 = (WELL_KNOWN_NAT64, LOCAL_NAT64)
SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, but routed inside some networks
# RFC 6052 section 2.2: where the IPv4 address sits for each prefix length (byte 8 is always zero)
_RFC6052 = {48: ((6, 8), (9, 11)), 56: ((7, 8), (9, 12)), 64: ((9, 13),), 96: ((12, 16),)}
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
TEREDO = ipaddress.ip_network("2001::/32")
CGNAT = ipaddress.ip_network("100.64.0.0/10")


class Refused(ValueError):
    """A target the service will not call; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent


def parse(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"url: scheme must be http or https, not '{parts.scheme}'")
    if parts.username or parts.password:
        raise Refused("url: credentials in the URL are not allowed (use the signing secret)")
    if not parts.hostname:
        raise Refused("url: no host")
    try:
        host = addresses.hostname(parts.hostname)
    except addresses.Invalid as exc:
        raise Refused(f"url: {exc}") from None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("url: invalid port") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path)


def masked(url: str) -> str:
    """A URL that is itself a credential (a chat incoming webhook), as shown in reads and texts:
    its scheme and host only."""
    t = parse(url)
    host = f"[{t.host}]" if ":" in t.host else t.host
    return f"{t.scheme}://{host}/…"


def host_header(t: Target, default_port: int) -> str:
    """The Host header: IPv6 literals in brackets, the port only when not the scheme's default."""
    host = f"[{t.host}]" if ":" in t.host else t.host
    return host if t.port == default_port else f"{host}:{t.port}"


def _rfc6052(ip: ipaddress.IPv6Address, prefix_len: int) -> ipaddress.IPv4Address:
    b = ip.packed
    return ipaddress.IPv4Address(b"".join(b[i:j] for i, j in _RFC6052[prefix_len]))


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address this IPv6 address may stand for. The local-use NAT64 prefix may carry it in
    any RFC 6052 format of /48 or longer: each reading counts (a guard refuses on doubt)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return [ip.teredo[1]]  # the client's (obfuscation undone by ipaddress)
    if ip in WELL_KNOWN_NAT64:
        return [_rfc6052(ip, 96)]
    if ip in LOCAL_NAT64:
        return [_rfc6052(ip, n) for n in sorted(_RFC6052)]
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return [ipaddress.IPv4Address(packed)]
    return []


def refusal(ip: IP, allow: Sequence[Net] = ()) -> str | None:
    """Why this address may not be called (None: it may)."""
    if any(ip.version == n.version and ip in n for n in allow):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inners = _embedded_v4(ip)
        for inner in inners:
            if why := refusal(inner, allow):
                return f"{ip} embeds {inner}: {why}"
        if inners:
            return None
        if ip in TEREDO or any(ip in n for n in NAT64) or ip in SIX_TO_FOUR:
            return f"{ip} is a translation address"
        if ip in SITE_LOCAL:
            return f"{ip} is site-local"
    for test, name in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, test):
            return f"{ip} is {name}"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return f"{ip} is carrier-grade NAT"
    if not ip.is_global:
        return f"{ip} is not a global address"
    return None


def check_addresses(addresses: Sequence[str], allow: Sequence[Net] = ()) -> IP:
    """All resolved addresses must be callable (a name that also resolves inside is refused);
    returns the one to connect to."""
    if not addresses:
        raise Refused("url: the host does not resolve")
    ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    for ip in ips:
        why = refusal(ip, allow)
        if why:
            raise Refused(f"url: {why}")
    return ips[0]

"""What a write key may write (pure: no framework, no I/O).

A write key ships inside browsers, apps and partner tools, so anyone can read it: it grants only
what its source was given. Scopes: ``usage`` (track, page, screen), ``identity`` (identify, group,
alias), ``signals:<type>`` per signal type (``signals:account.upserted``, …) or ``signals:*`` for
all. New sources get ``usage`` and ``identity``; signals need an explicit grant. A source may also
be limited to some accounts: exact ids, or prefixes written ``acme-*``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

USAGE, IDENTITY, ALL_SIGNALS = "usage", "identity", "signals:*"
DEFAULT = (IDENTITY, USAGE)  # sorted, as every stored grant
CALLS = {"track": USAGE, "page": USAGE, "screen": USAGE, "identify": IDENTITY, "group": IDENTITY, "alias": IDENTITY}
# signals that keep the latest state by when they happened: a future time would win over every real one
LATEST_WINS_EXEMPT = frozenset({"deal.closed_won"})  # a deal's time is its contract start: may lie ahead


def signal_scope(signal_type: str) -> str:
    return f"signals:{signal_type}"


def validate(scopes: Iterable[str], signal_types: Iterable[str]) -> list[str]:
    """The scopes, de-duplicated and sorted; ``ValueError`` naming the first unknown one."""
    known = {USAGE, IDENTITY, ALL_SIGNALS, *(signal_scope(t) for t in signal_types)}
    out = sorted(set(scopes))
    for s in out:
        if s not in known:
            raise ValueError(f"unknown scope '{s}'; known: {', '.join(sorted(known))}")
    return out


def validate_accounts(patterns: Iterable[str]) -> list[str]:
    out = sorted(set(patterns))
    for p in out:
        if not p or p == "*" or "*" in p[:-1]:
            raise ValueError(f"'{p}' is not an account id or a prefix ending in '*' (e.g. 'acme-*')")
    return out


@dataclass(frozen=True, slots=True)
class Grant:
    scopes: frozenset[str]
    accounts: tuple[str, ...] = ()  # empty: any account

    def missing(self, needed: str) -> str | None:
        """The scope this grant lacks for ``needed``, or None when it may."""
        if needed in self.scopes or (needed.startswith("signals:") and ALL_SIGNALS in self.scopes):
            return None
        return needed

    @property
    def restricted(self) -> bool:
        return bool(self.accounts)

    def may_write(self, account_id: str | None) -> bool:
        """Unrestricted grants write to any account (or none); restricted ones only to theirs."""
        if not self.accounts:
            return True
        if account_id is None:
            return False
        return any(account_id.startswith(p[:-1]) if p.endswith("*") else account_id == p for p in self.accounts)


def in_future(at: datetime, *, received_at: datetime, skew: timedelta) -> bool:
    """Later than receipt by more than the tolerated clock skew."""
    return at > received_at + skew

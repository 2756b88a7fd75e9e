"""Pure pricing arithmetic shared by the services (no framework, no I/O)."""

from __future__ import annotations


def discount_pct(*, arr: float, list_price: float) -> float | None:
    """How far below list price a deal was sold, in percent (0..100, two decimals). None without a
    list price; a price above list is no discount (0)."""
    if list_price <= 0:
        return None
    return round(min(100.0, max(0.0, (1 - arr / list_price) * 100)), 2)

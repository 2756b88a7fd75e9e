"""Pure pricing arithmetic shared by the services (no framework, no I/O)."""

from __future__ import annotations

# Customers paying two thirds of list price or less churn more (domain.md, Pricing): a discount of a
# third or more is below the value threshold. One rule, used by hand-off quality and renewal risk.
VALUE_THRESHOLD_DISCOUNT_PCT = 100 / 3
_EPSILON = 1e-9  # 10,000 of 15,000 is exactly two thirds, whatever the float rounding says


def discount_pct(*, arr: float, list_price: float) -> float | None:
    """How far below list price a deal was sold, in percent (0..100, unrounded: round to show). None
    without a list price; a price above list is no discount (0)."""
    if list_price <= 0:
        return None
    return min(100.0, max(0.0, (1 - arr / list_price) * 100))


def below_value_threshold(discount: float | None, threshold_pct: float = VALUE_THRESHOLD_DISCOUNT_PCT) -> bool:
    """The price is at or below the value threshold: the discount reaches ``threshold_pct``."""
    return discount is not None and discount >= threshold_pct - _EPSILON

"""Per-source token buckets (pure; the clock is injected)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float

    def take(self, n: float, now: float) -> float:
        """Take ``n`` tokens; returns 0 on success, else the seconds to wait before it could succeed."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        n = min(n, self.capacity)  # a request larger than the bucket waits for a full bucket
        if self.tokens >= n:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def check(self, key: str, n: int, *, rate: float, burst: float) -> int:
        """0 when allowed; else the Retry-After in whole seconds (at least 1)."""
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != burst:
            bucket = self.buckets[key] = TokenBucket(rate, burst, burst, now)
        wait = bucket.take(n, now)
        return 0 if wait == 0 else max(1, math.ceil(wait))

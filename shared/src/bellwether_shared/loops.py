"""``BackgroundLoop``: every polling worker of every service (outbox relay, consumer, re-score
workers, sweeper, deliverer, digests, retention) runs under one.

It calls ``step()`` again and again: at once when the step says there is more work, after
``interval_s`` when not. A step that raises is logged and retried with exponential backoff and
jitter (``setup`` runs again first, so a broken client is rebuilt); the loop never dies of it.
``stop()`` ends any wait at once and lets the step in hand finish.

Health: ``healthy`` (the last step succeeded) is what ``/readyz`` reports; ``alive`` turns false
once the loop has failed without a single success for ``max_down_s``, and ``/livez`` then fails so
Kubernetes restarts a process that cannot do its work.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable

from opentelemetry import metrics

from bellwether_shared.logging import get_logger
from bellwether_shared.retry import interruptible_sleep

log = get_logger(__name__)
_meter = metrics.get_meter(__name__)
_failures = _meter.create_counter("bellwether_loop_failures", description="background loop steps that raised")
# "a loop is not running": time() - last success > a few intervals (deploy/k8s alert rules)
_last_success = _meter.create_gauge(
    "bellwether_loop_last_success_timestamp_seconds", description="Unix time of the loop's last successful step"
)
_interval = _meter.create_gauge("bellwether_loop_interval_seconds", description="the loop's pause between steps")

Step = Callable[[], Awaitable[bool]]  # True: more work waiting, run again at once
Hook = Callable[[], Awaitable[None]]


class BackgroundLoop:
    def __init__(
        self,
        name: str,
        step: Step,
        *,
        interval_s: float,
        setup: Hook | None = None,
        teardown: Hook | None = None,
        initial_backoff_s: float = 0.2,
        max_backoff_s: float = 10.0,
        max_down_s: float = 300.0,
        start_delay_s: float = 0.0,
    ) -> None:
        self.name = name
        self._step, self._setup, self._teardown = step, setup, teardown
        self.interval_s = interval_s
        self.initial_backoff_s, self.max_backoff_s = initial_backoff_s, max_backoff_s
        self.max_down_s = max_down_s
        self.start_delay_s = start_delay_s
        self.stopping = asyncio.Event()
        # healthy: not failing. A loop with a setup step (a client to connect) is healthy once set up;
        # one without is healthy until a step fails (a loop that waits before its first step is fine).
        self.healthy = setup is None
        self.steps = 0
        self.failures = 0
        self.last_error: str | None = None
        self._failing_since: float | None = None
        self._ready = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._failing_since = time.monotonic()  # not yet run: counts as down until the first success
        labels = {"loop": self.name}
        _failures.add(0, labels)  # exported from the start: rate() and the alerts see a zero, not nothing
        _interval.set(max(self.interval_s, self.start_delay_s), labels)
        _last_success.set(time.time(), labels)  # the baseline: one that never succeeds alerts after a while
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self.stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait(self, seconds: float) -> None:
        """Sleep inside a step, returning at once on stop."""
        await interruptible_sleep(self.stopping, seconds)

    @property
    def alive(self) -> bool:
        if self._task is None or self.stopping.is_set():
            return True
        if self._task.done():
            return False
        return self._failing_since is None or time.monotonic() - self._failing_since < self.max_down_s

    async def _run(self) -> None:
        if self.start_delay_s:
            await self.wait(self.start_delay_s)
        backoff = self.initial_backoff_s
        while not self.stopping.is_set():
            try:
                if not self._ready:
                    if self._setup is not None:
                        await self._setup()
                    self._ready = True
                    self.healthy = True
                more = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a background loop outlives any one failure
                await self._failed(exc, backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            self.steps += 1
            self.healthy, self._failing_since, backoff = True, None, self.initial_backoff_s
            _last_success.set(time.time(), {"loop": self.name})
            if not more:
                await self.wait(self.interval_s)
        await self._close()

    async def _failed(self, exc: BaseException, backoff: float) -> None:
        self.healthy = False
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        _failures.add(1, {"loop": self.name})
        delay = backoff * (0.5 + random.random() / 2)
        log.error("background loop failed; retrying", loop=self.name, error=self.last_error, delay_s=round(delay, 3))
        await self._close()
        await self.wait(delay)

    async def _close(self) -> None:
        if self._ready and self._teardown is not None:
            try:
                await self._teardown()
            except Exception as exc:  # noqa: BLE001
                log.warning("background loop teardown failed", loop=self.name, error=repr(exc))
        self._ready = False

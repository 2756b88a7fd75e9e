"""The faults the chaos run injects, each bounded: kill -9 of a service, a broker paused (SIGSTOP) and resumed,
PostgreSQL crashed (immediate shutdown) and restarted; and the duplicates a producer's retries make."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import time
from typing import Any

import httpx
from rich.console import Console

from devkit.services import ServiceProcess

console = Console()


class Faults:
    def __init__(self, kafka: Any, pg: Any) -> None:
        self.kafka, self.pg = kafka, pg
        self.log: list[dict[str, Any]] = []

    def note(self, what: str, t0: float) -> None:
        self.log.append({"at_s": round(time.monotonic() - t0, 1), "fault": what})
        console.print(f"[bold red]fault[/] {what}")

    def kill9(self, svc: ServiceProcess) -> None:
        assert svc.proc is not None
        os.kill(svc.proc.pid, signal.SIGKILL)
        svc.proc.wait()
        svc.proc = None

    async def pause_broker(self, seconds: float) -> None:
        pid = self.kafka.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)

    async def restart_postgres_immediately(self) -> None:
        proc = self.pg.proc
        os.kill(proc.pid, signal.SIGQUIT)  # immediate shutdown: no checkpoint, recovery on start
        await asyncio.to_thread(proc.wait, 60)
        await asyncio.to_thread(self.pg.start)


class Duplicates:
    """Health's ``bellwether_consumer_records{outcome="duplicate"}``, scraped every half second and
    summed over process incarnations (a kill loses at most the last half second: a lower bound)."""

    def __init__(self) -> None:
        self.finished, self.current = 0.0, 0.0

    def restarted(self) -> None:
        self.finished, self.current = self.finished + self.current, 0.0

    async def scrape(self, svc: ServiceProcess, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            while not stop.is_set():
                try:
                    text = (await http.get(f"{svc.url}/metrics")).text
                    self.current = sum(
                        float(line.rsplit(" ", 1)[1])
                        for line in text.splitlines()
                        if line.startswith("bellwether_consumer_records_total") and 'outcome="duplicate"' in line
                    )
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)

    @property
    def total(self) -> int:
        return int(self.finished + self.current)


async def _until(check: Any, what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if inspect.isawaitable(got):
            got = await got
        if got:
            return got
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{what}: not within {timeout:.0f}s")

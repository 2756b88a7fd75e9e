"""``python -m bench.profile ingest|rescore``: where a service's CPU goes, under the benchmark's load.

Starts Kafka and PostgreSQL (or uses the environment's) and samples one service process with py-spy
while it works, then writes the share of samples per function (self and inclusive) and per module to
``bench/profiles/<name>.txt``; with the CPU seconds measured over the same window, each share is
turned into µs per unit of work (per event for ingest, per account for the re-score).

* ``ingest``: one HTTP worker (one process to sample), 100-event ``/v1/batch`` bodies from the
  benchmark's generator, for ``--seconds``.
* ``rescore``: health with its re-score loop, ``--accounts`` accounts seeded as the benchmark does,
  re-scored after a change of the default scorecard.
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import typer

from bench.loadgen import load_python, make_bodies
from devkit.infra import provide
from devkit.services import ServiceProcess
from devkit.stack import health_env, ingest_env, migrated

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "profiles"
app = typer.Typer(add_completion=False, help=__doc__)

Shares = list[tuple[str, float]]


def _function(frame: str) -> str:
    """``name (path:line)`` without the line: a function's samples, wherever in it they fell."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rpartition(':')[0]})" if where else name


def _aggregate(raw: Path, top: int) -> tuple[Shares, Shares, Shares, int]:
    """(function, share) by self samples, (module, share) by self samples and (function, share)
    by inclusive samples (the function anywhere on the stack), from py-spy's collapsed stacks."""
    by_fn: collections.Counter[str] = collections.Counter()
    by_mod: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        total += n
        by_fn[leaf] += n
        path = leaf.partition("(")[2].rpartition(":")[0] or leaf
        by_mod["/".join(Path(path).parts[-2:])] += n
        for fn in {_function(f) for f in frames[1:]}:
            inclusive[fn] += n

    def share(c: collections.Counter[str], n: int = top) -> Shares:
        return [(k, v / max(total, 1)) for k, v in c.most_common(n)]

    return share(by_fn), share(by_mod), share(inclusive, 2 * top), total


@dataclass
class Sample:
    raw: Path
    cpu_s: float = 0.0


@contextmanager
def sampled(pid: int, raw: Path, seconds: float) -> Iterator[Sample]:
    """py-spy on ``pid`` for at most ``seconds`` (non-blocking), and the CPU the process used meanwhile."""
    target = psutil.Process(pid)
    cmd = [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(raw),
        "--nonblocking",
    ]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sample = Sample(raw)
    cpu0 = sum(target.cpu_times()[:2])
    try:
        yield sample
    finally:
        sample.cpu_s = sum(target.cpu_times()[:2]) - cpu0
        spy.send_signal(2)  # py-spy writes what it has on SIGINT
        spy.wait(timeout=seconds + 60)


def _report(name: str, headline: str, sample: Sample, units: int, unit: str, top: int, raw_copy: Path | None) -> None:
    fns, mods, incl, total = _aggregate(sample.raw, top)
    if raw_copy is not None:
        raw_copy.write_bytes(sample.raw.read_bytes())
    us = sample.cpu_s / max(units, 1) * 1e6
    lines = [
        f"{headline}, {sample.cpu_s:.1f} CPU s, {us:.1f} µs of CPU per {unit}; {total:,} samples",
        "",
        "by function (self):",
    ]
    lines += [f"  {share * 100:5.1f} %  {share * us:6.1f} µs  {fn}" for fn, share in fns]
    lines += ["", "by module (self):"]
    lines += [f"  {share * 100:5.1f} %  {share * us:6.1f} µs  {mod}" for mod, share in mods]
    lines += ["", "by function (inclusive: the function and what it calls):"]
    lines += [f"  {share * 100:5.1f} %  {share * us:6.1f} µs  {fn}" for fn, share in incl]
    OUT.mkdir(exist_ok=True)
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


@app.command()
def ingest(seconds: int = 20, concurrency: int = 16, top: int = 30, raw_copy: Path | None = None) -> None:
    """Ingest, one HTTP worker, under 100-event batches (``--raw-copy FILE`` keeps py-spy's stacks)."""
    with tempfile.TemporaryDirectory(prefix="bw-profile-") as tmp, provide(Path(tmp)) as ep:
        from bellwether_shared.topics import ensure_topics

        asyncio.run(ensure_topics(ep.kafka_bootstrap))
        db = migrated(ep.admin_database_url, "ingest")
        svc = ServiceProcess(
            "ingest",
            ingest_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", HTTP_WORKERS="1"),
            Path(tmp) / "ingest.log",
        ).start()
        try:
            admin = {"Authorization": f"Bearer {ingest_env(db, '')['ADMIN_TOKEN']}"}
            body = {"name": "profile", "rate_limit_eps": 1_000_000, "burst": 1_000_000}
            key = httpx.post(f"{svc.url}/v1/sources", json=body, headers=admin).json()["write_key"]
            bodies = make_bodies(int(seconds * 400), 100, "profile")
            assert svc.proc is not None
            proc = psutil.Process(svc.proc.pid)
            workers = proc.children(recursive=True) or [proc]
            target = max(workers, key=lambda p: p.memory_info().rss)
            with sampled(target.pid, Path(tmp) / "ingest.raw", seconds + 5) as sample:
                res = asyncio.run(load_python(svc.url, key, bodies, concurrency, time.monotonic() + seconds))
        finally:
            svc.stop()
        events = res["ok"] * 100
        head = f"ingest, one worker: {events:,} events in {res['elapsed_s']:.1f} s"
        _report("ingest", head, sample, events, "event", top, raw_copy)


@app.command()
def rescore(accounts: int = 10_000, top: int = 30, raw_copy: Path | None = None) -> None:
    """Health's re-score of ``--accounts`` already-scored accounts after a scorecard change."""
    from bench.rescore_bench import rescore as timed_rescore

    with tempfile.TemporaryDirectory(prefix="bw-profile-") as tmp, provide(Path(tmp)) as ep:
        from bellwether_shared.topics import ensure_topics

        asyncio.run(ensure_topics(ep.kafka_bootstrap))
        db = migrated(ep.admin_database_url, "health")
        svc = ServiceProcess(
            "health", health_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING"), Path(tmp) / "health.log"
        ).start()
        try:
            assert svc.proc is not None
            pid, samples = svc.proc.pid, []

            @contextmanager
            def window() -> Iterator[None]:  # the first pass (never-scored accounts) is not sampled
                with sampled(pid, Path(tmp) / "rescore.raw", 600) as sample:
                    samples.append(sample)
                    yield

            res = asyncio.run(timed_rescore(svc, db.url, accounts, measured=window))
        finally:
            svc.stop()
        head = f"health re-score of {accounts:,} scored accounts in {res['elapsed_s']} s"
        _report("rescore", head, samples[0], accounts, "account", top, raw_copy)


if __name__ == "__main__":
    app()

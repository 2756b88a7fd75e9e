"""``python -m bench.profile``: where ingest's CPU goes per event, under the benchmark's load.

Starts Kafka and PostgreSQL (or uses the environment's), ingest with one HTTP worker (one process to
sample), sends 100-event ``/v1/batch`` bodies from the benchmark's generator, and samples the worker
with py-spy for ``--seconds``. Prints (and writes to ``bench/profiles/ingest.txt``) the share of
samples per function (self) and per module, which with the measured CPU seconds per event says how
many µs each part costs."""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import typer

from bench.ingest import load_python, make_bodies
from conftest import ingest_env, migrated
from tests.support.infra import provide
from tests.support.services import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "profiles"


def _aggregate(raw: Path, top: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]], int]:
    """(function, share) and (module, share) by self samples, from py-spy's collapsed stacks."""
    by_fn: collections.Counter[str] = collections.Counter()
    by_mod: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        leaf = stack.rsplit(";", 1)[-1]
        total += n
        by_fn[leaf] += n
        path = leaf.partition("(")[2].rpartition(":")[0] or leaf
        by_mod["/".join(Path(path).parts[-2:])] += n

    def share(c: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(k, v / max(total, 1)) for k, v in c.most_common(top)]

    return share(by_fn), share(by_mod), total


def main(seconds: int = 20, concurrency: int = 16, top: int = 30) -> None:
    with tempfile.TemporaryDirectory(prefix="bw-profile-") as tmp, provide(Path(tmp)) as ep:
        from bellwether_shared.topics import ensure_topics

        asyncio.run(ensure_topics(ep.kafka_bootstrap))
        db = migrated(ep.admin_database_url, "ingest")
        svc = ServiceProcess("ingest", ingest_env(db, ep.kafka_bootstrap, LOG_LEVEL="WARNING", HTTP_WORKERS="1"),
                             Path(tmp) / "ingest.log").start()  # fmt: skip
        try:
            admin = {"Authorization": f"Bearer {ingest_env(db, '')['ADMIN_TOKEN']}"}
            body = {"name": "profile", "rate_limit_eps": 1_000_000, "burst": 1_000_000}
            key = httpx.post(f"{svc.url}/v1/sources", json=body, headers=admin).json()["write_key"]
            bodies = make_bodies(int(seconds * 400), 100, "profile")
            assert svc.proc is not None
            proc = psutil.Process(svc.proc.pid)
            workers = proc.children(recursive=True) or [proc]
            target = max(workers, key=lambda p: p.memory_info().rss)
            raw = Path(tmp) / "ingest.raw"
            cmd = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(target.pid), "--duration",
                   str(seconds), "--rate", "200", "--format", "raw", "--output", str(raw), "--nonblocking"]  # fmt: skip
            spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cpu0 = sum(t for t in target.cpu_times()[:2])
            res = asyncio.run(load_python(svc.url, key, bodies, concurrency, time.monotonic() + seconds))
            cpu = sum(t for t in target.cpu_times()[:2]) - cpu0
            spy.wait(timeout=seconds + 60)
        finally:
            svc.stop()
        events = res["ok"] * 100
        fns, mods, total = _aggregate(raw, top)
    us = cpu / max(events, 1) * 1e6
    lines = [f"ingest, one worker: {events:,} events in {res['elapsed_s']:.1f} s, {cpu:.1f} CPU s, "
             f"{us:.1f} µs of CPU per event; {total:,} samples", "", "by function (self):"]  # fmt: skip
    lines += [f"  {share * 100:5.1f} %  {share * us:5.1f} µs  {fn}" for fn, share in fns]
    lines += ["", "by module (self):"]
    lines += [f"  {share * 100:5.1f} %  {share * us:5.1f} µs  {mod}" for mod, share in mods]
    OUT.mkdir(exist_ok=True)
    (OUT / "ingest.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    typer.run(main)

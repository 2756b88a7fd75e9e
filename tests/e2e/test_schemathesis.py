"""Schemathesis against each service's OpenAPI: no input may cause a 5xx, and every answer matches the
documented schema. Bounded (examples per operation, time, fixed seed) and authenticated, so it reaches
the routes. The services run on a broker and database of their own: the generated configuration
(policies, scorecards, risk weights...) never touches what other tests see."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bellwether_shared.topics import ensure_topics
from conftest import (
    ACCOUNTS_TOKEN,
    ADMIN_TOKEN,
    API_TOKEN,
    NOTIFICATIONS_TOKEN,
    accounts_env,
    create_source,
    health_env,
    ingest_env,
    migrated,
    new_database,
    notifications_env,
    renewals_env,
    renewals_headers,
)
from devkit.infra import Endpoints, localinfra
from devkit.receiver import SmtpServer
from devkit.services import ServiceProcess

SEED = 20261203
EXAMPLES = 12  # per operation and phase
DEEP = 50  # on the routes that parse dates, periods, JSON Schema and free text, where bugs hide and runs are cheap
TIMEOUT_S = 240  # per run (each takes 15-35 s here)
CHECKS = "not_a_server_error,response_schema_conformance"


@dataclass(frozen=True)
class Target:
    url: str
    header: str  # Authorization header value
    include_path_regex: str | None = None
    exclude_path_regex: str | None = None
    examples: int = EXAMPLES


@pytest.fixture(scope="module")
def isolated(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    base = tmp_path_factory.mktemp("schemathesis")
    node = localinfra.KafkaNode(base / "kafka", localinfra.free_port(), localinfra.free_port(), heap="384m")
    node.start()
    asyncio.run(ensure_topics(node.bootstrap))
    admin_url = new_database(endpoints.admin_database_url, "bw_st_")
    smtp = SmtpServer().start()
    envs = {
        "ingest": ingest_env(migrated(admin_url, "ingest"), node.bootstrap),
        "health": health_env(migrated(admin_url, "health"), node.bootstrap),
        "renewals": renewals_env(migrated(admin_url, "renewals"), node.bootstrap),
        # a destination's host is resolved at creation: generated names must fail fast, not wait on DNS
        "notifications": notifications_env(migrated(admin_url, "notifications"), node.bootstrap, smtp.port),
        "accounts": accounts_env(migrated(admin_url, "accounts"), node.bootstrap),
    }
    procs = {svc: ServiceProcess(svc, env, base / f"{svc}.log").start() for svc, env in envs.items()}
    key = create_source(procs["ingest"].url).write_key
    basic = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    yield {
        "ingest-admin": Target(procs["ingest"].url, f"Bearer {ADMIN_TOKEN}", exclude_path_regex=TRACKING),
        "ingest-tracking": Target(procs["ingest"].url, basic, include_path_regex=TRACKING),
        "health": Target(procs["health"].url, f"Bearer {API_TOKEN}"),
        "renewals": Target(procs["renewals"].url, renewals_headers("admin")["Authorization"]),
        # deciding a proposed rejection is the VP of CS's, never an admin's
        "renewals-vp": Target(
            procs["renewals"].url, renewals_headers("vp")["Authorization"], include_path_regex=REVIEWS
        ),
        "notifications": Target(procs["notifications"].url, f"Bearer {NOTIFICATIONS_TOKEN}"),
        "accounts": Target(procs["accounts"].url, f"Bearer {ACCOUNTS_TOKEN}"),
        # deeper where inputs are parsed: periods, dates, JSON Schema, free text
        "accounts-periods": Target(procs["accounts"].url, f"Bearer {ACCOUNTS_TOKEN}", PERIODS, examples=DEEP),
        "ingest-plans": Target(procs["ingest"].url, f"Bearer {ADMIN_TOKEN}", PLANS, examples=DEEP),
        "health-dates": Target(procs["health"].url, f"Bearer {API_TOKEN}", HEALTH_DATES, examples=DEEP),
        "renewals-dates": Target(
            procs["renewals"].url, renewals_headers("admin")["Authorization"], RENEWAL_DATES, examples=DEEP
        ),
        "notifications-text": Target(
            procs["notifications"].url, f"Bearer {NOTIFICATIONS_TOKEN}", NOTIFICATION_TEXT, examples=DEEP
        ),
    }
    for proc in procs.values():
        proc.stop()
    smtp.stop()
    node.stop()


TRACKING = r"^/v1/(track|identify|group|page|screen|alias|batch|import|signals)$"
REVIEWS = r"^/v1/reviews"
PERIODS = r"^/v1/reports/"
PLANS = r"^/v1/sources/[^/]+/(tracking-plan|config)"
HEALTH_DATES = r"^/v1/(accounts/[^/]+/(health/history|usage)|history)"
RENEWAL_DATES = r"^/v1/(contracts|reports|opportunities/[^/]+/close)"
NOTIFICATION_TEXT = r"^/v1/(rules|destinations/[^/]+/replay)"


@pytest.mark.parametrize(
    "target",
    [
        *("ingest-admin", "ingest-tracking", "health", "renewals", "renewals-vp", "notifications", "accounts"),
        *("accounts-periods", "ingest-plans", "health-dates", "renewals-dates", "notifications-text"),
    ],
)
def test_no_input_causes_a_server_error_or_an_undocumented_answer(
    target: str, isolated: dict[str, Target], tmp_path: Path
) -> None:
    t = isolated[target]
    args = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{t.url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(t.examples),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "10",
        "--phases",
        "examples,coverage,fuzzing",
        "-H",
        f"Authorization: {t.header}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    if t.include_path_regex:
        args += ["--include-path-regex", t.include_path_regex]
    if t.exclude_path_regex:
        args += ["--exclude-path-regex", t.exclude_path_regex]
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    out = run.stdout + run.stderr
    tested = re.search(r"Tested: (\d+)", out)
    assert tested and int(tested.group(1)) >= 1, out[-4000:]  # it reached the routes of the schema
    assert run.returncode == 0, out[-12000:]

"""The two common Python client libraries, unchanged, pointed at ingest by their host setting only."""

from __future__ import annotations

import asyncio

from rudderstack.analytics.client import Client as RudderClient
from segment.analytics import Client as SegmentClient

from bellwether_shared import topics
from devkit.kafka import TopicTail


def _send_all(client, run_id: str, account: str) -> None:  # type: ignore[no-untyped-def]
    client.group(user_id=f"u-{run_id}", group_id=account, traits={"name": "Acme"}, message_id=f"{run_id}-g")
    client.identify(user_id=f"u-{run_id}", traits={"email": "ada@example.com"}, message_id=f"{run_id}-i")
    client.track(user_id=f"u-{run_id}", event="Report Exported", properties={"format": "csv"}, message_id=f"{run_id}-t")
    client.page(user_id=f"u-{run_id}", name="Dashboard", message_id=f"{run_id}-p")
    client.screen(user_id=f"u-{run_id}", name="Home", message_id=f"{run_id}-s")
    client.alias(previous_id=f"anon-{run_id}", user_id=f"u-{run_id}", message_id=f"{run_id}-a")
    client.flush()


def _send_sentinels(client, run_id: str, account: str) -> None:  # type: ignore[no-untyped-def]
    """Sent after the flush, same key (the account), one per topic: once both are read, any
    duplicate of the calls under test would have been read too."""
    client.track(user_id=f"u-{run_id}", event="sentinel", message_id=f"{run_id}-end-usage")
    client.group(user_id=f"u-{run_id}", group_id=account, message_id=f"{run_id}-end-identity")
    client.flush()


async def _check(client, ingest, kafka_bootstrap, run_id: str) -> None:  # type: ignore[no-untyped-def]
    account = f"acct-{run_id}"
    wanted = {f"{run_id}-{k}" for k in "gitpsa"}
    async with TopicTail(kafka_bootstrap, topics.USAGE, topics.IDENTITY) as tail:
        await asyncio.to_thread(_send_all, client, run_id, account)
        await asyncio.to_thread(_send_sentinels, client, run_id, account)
        got = await tail.collect(lambda rs: tail.seen(f"{run_id}-end-usage") and tail.seen(f"{run_id}-end-identity"))
    mine = [
        x
        for x in got
        if str(x.payload.get("message_id")).startswith(f"{run_id}-") and "-end-" not in x.payload["message_id"]
    ]
    assert sorted(x.payload["message_id"] for x in mine) == sorted(wanted)  # each once, nothing else
    # the track call carried no groupId: the group call sent first mapped the user to the account
    track = next(x for x in mine if x.payload["message_id"] == f"{run_id}-t")
    assert track.payload["account_id"] == account and track.payload["event"] == "Report Exported"
    assert track.payload["context"]["library"]["name"]


async def test_segment_analytics_python(ingest, source, kafka_bootstrap, run_id) -> None:
    errors: list[Exception] = []
    client = SegmentClient(source.write_key, host=ingest.url, max_retries=1, on_error=lambda e, batch: errors.append(e))
    await _check(client, ingest, kafka_bootstrap, run_id)
    assert errors == []


async def test_rudder_sdk_python_basic_auth_and_gzip(ingest, source, kafka_bootstrap, run_id) -> None:
    errors: list[Exception] = []
    client = RudderClient(
        source.write_key, host=ingest.url, max_retries=1, gzip=True, on_error=lambda e, batch: errors.append(e)
    )
    await _check(client, ingest, kafka_bootstrap, run_id)
    assert errors == []

"""Two notifications replicas deliver from one table to a slow receiver: each delivery is sent once.

Before, a deliverer claimed a batch of 200 and sent it 16 at a time, so a batch to a slow receiver
outlived its lease and the other replica claimed and sent the same rows again. Now a deliverer claims
only as many deliveries as it has free send slots, and the lease is at least three HTTP timeouts: a
claimed delivery is sent at once and finished (or timed out) inside its lease. The figures below make
the old design fail: 40 deliveries × 0.6 s at 4 in flight is 6 s for one claimer, past the 4.5 s lease."""

from __future__ import annotations

from collections import Counter

import httpx

from conftest import notifications_env
from devkit.receiver import Receiver
from devkit.services import ServiceProcess
from tests.support.notifications import AUTH, owners, person, risk, webhook_for
from tests.support.wait import eventually

DELIVERIES = 40


async def test_two_deliverers_and_a_slow_receiver_send_each_delivery_once(
    notifications_db, kafka_bootstrap, smtp, tmp_path, run_id
) -> None:
    env = notifications_env(
        notifications_db,
        kafka_bootstrap,
        smtp.port,
        CONSUMER_GROUP=f"two-{run_id}",
        DELIVERY_CONCURRENCY="4",
        HTTP_TIMEOUT_S="1.5",
        DELIVERY_LEASE_S="4.5",
    )
    slow = Receiver(delay_s=0.6).start()
    first = ServiceProcess("notifications", env, tmp_path / "a.log").start()
    second = ServiceProcess("notifications", env, tmp_path / "b.log").start()
    try:
        acct, csm = f"two-{run_id}", f"tom-{run_id}"
        async with httpx.AsyncClient(base_url=first.url, timeout=15) as http:
            await person(http, csm, role="csm", throttle_per_hour=1000)
            await webhook_for(http, csm, slow.url)
            for i in range(DELIVERIES):  # an account each: one incident, one message each
                await owners(kafka_bootstrap, f"{acct}-{i}", csm=csm)
                await risk(kafka_bootstrap, f"{acct}-{i}", f"opp-{i}")

            async def all_succeeded() -> list[str] | None:
                rows = (
                    await http.get("/v1/deliveries", params={"status": "succeeded", "limit": 1000}, headers=AUTH)
                ).json()["deliveries"]
                ids = [d["delivery_id"] for d in rows if d["recipient"] == csm]
                return ids if len(ids) == DELIVERIES else None

            delivered = await eventually(all_succeeded, timeout=90, what="every delivery succeeded")
        sent = Counter(r.headers["webhook-id"] for r in slow.requests)
        assert set(sent) == set(delivered)
        assert [i for i, n in sent.items() if n > 1] == [], "a delivery was sent twice"
    finally:
        first.stop()
        second.stop()
        slow.stop()

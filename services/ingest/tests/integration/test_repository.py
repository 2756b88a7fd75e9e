"""Every ingest repository function on the migrated schema, in a rolled-back transaction: sources
and keys (stored as hashes), rejections kept with their payload and paged, identity mappings
(latest account wins, leaving removes), and parked events taken back oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest import repository, source_repository as sources
from ingest.domain.normalise import Rejection, normalise
from tests.support.db import rolled_back

NOW = datetime.now(UTC)


async def test_sources_are_found_by_key_hash_listed_and_revoked_once(ingest_db, run_id) -> None:
    async with rolled_back(ingest_db.url, schema="ingest") as conn:
        src = await sources.insert_source(
            conn,
            id=f"src-{run_id}",
            name="n",
            write_key_hash=f"h-{run_id}",
            key_prefix="bw_",
            rate_limit_eps=5,
            burst=10,
        )
        found = await sources.source_by_key_hash(conn, write_key_hash=f"h-{run_id}")
        unknown = await sources.source_by_key_hash(conn, write_key_hash=f"nope-{run_id}")
        first = await sources.revoke_source(conn, source_id=src.id)
        again = await sources.revoke_source(conn, source_id=src.id)
        active = await sources.list_sources(conn, include_revoked=False)
        every = await sources.list_sources(conn)
        missing = await sources.revoke_source(conn, source_id=f"none-{run_id}")
        got = await sources.get_source(conn, source_id=src.id)
    assert found == src and unknown is None and missing is None
    assert first is not None and again is not None and first.revoked_at == again.revoked_at  # the first time stays
    assert src.id not in {s.id for s in active} and src.id in {s.id for s in every}
    assert got is not None and got.revoked_at is not None


async def test_rejections_keep_payload_are_idempotent_per_request_and_page_newest_first(ingest_db, run_id) -> None:
    async with rolled_back(ingest_db.url, schema="ingest") as conn:
        await sources.insert_source(
            conn, id=f"src-{run_id}", name="n", write_key_hash=f"h-{run_id}", key_prefix="p", rate_limit_eps=1, burst=1
        )
        rejections = [Rejection(i, f"m{i}", "event", "missing", {"type": "track", "i": i}) for i in range(3)]
        for _ in range(2):  # a retried request stores its rejections once
            await repository.insert_rejections(
                conn,
                source_id=f"src-{run_id}",
                request_id=f"r-{run_id}",
                endpoint="batch",
                received_at=NOW,
                rejections=rejections,
            )
        page = await repository.list_rejections(conn, source_id=f"src-{run_id}", before_id=None, limit=2)
        rest = await repository.list_rejections(conn, source_id=f"src-{run_id}", before_id=page[-1]["id"], limit=2)
    assert [r["idx"] for r in page] == [2, 1] and [r["idx"] for r in rest] == [0]
    assert page[0]["payload"] == {"type": "track", "i": 2} and page[0]["message_id"] == "m2"


async def test_identity_mappings_and_parked_events(ingest_db, run_id) -> None:
    user = f"u-{run_id}"
    parked = normalise(
        {"type": "track", "userId": user, "event": "Early", "messageId": f"{run_id}-1"}, index=0, received_at=NOW
    )
    later = normalise(
        {"type": "track", "userId": user, "event": "Later", "messageId": f"{run_id}-2"},
        index=0,
        received_at=NOW + timedelta(seconds=1),
    )
    assert not isinstance(parked, Rejection) and not isinstance(later, Rejection)
    async with rolled_back(ingest_db.url, schema="ingest") as conn:
        await sources.insert_source(
            conn, id=f"src-{run_id}", name="n", write_key_hash=f"h-{run_id}", key_prefix="p", rate_limit_eps=1, burst=1
        )
        await repository.lock_identities(conn, identities=[user, user])
        await repository.park_unattributed(
            conn,
            items=[(f"e1-{run_id}", user, f"src-{run_id}", parked), (f"e2-{run_id}", user, f"src-{run_id}", later)],
        )
        await repository.join_account(conn, user_id=user, account_id="acme", at=NOW - timedelta(days=1))
        await repository.join_account(conn, user_id=user, account_id="globex", at=NOW)
        latest = await repository.accounts_of(conn, identities=[user, f"nobody-{run_id}"])
        await repository.leave_account(conn, user_id=user, account_id="globex")
        after_leaving = await repository.accounts_of(conn, identities=[user])
        taken = await repository.take_unattributed(conn, identities=[user])
        taken_again = await repository.take_unattributed(conn, identities=[user])
    assert latest == {user: "globex"} and after_leaving == {user: "acme"}
    assert [(src, m.event) for src, m in taken] == [(f"src-{run_id}", "Early"), (f"src-{run_id}", "Later")]
    assert taken_again == []

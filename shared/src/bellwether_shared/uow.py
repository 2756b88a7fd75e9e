"""Unit of work: one transaction that records the state changes made on ``uow.conn``, the events
they cause (``emit``) and, where the service audits, who did what (``audit``). Events and audit
entries are written when the unit completes, in the same transaction as the state (the outbox then
publishes them), or not at all. No call site builds an envelope by hand.

One entry point: ``within(conn, ...)`` joins a transaction that is already open (a consumer handler
inside the consumer's transaction, with its inbox claim; an API use case inside the transaction its
route opened). Each service wraps it once as ``repository.unit(conn)``, with its event source and
audit writer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from bellwether_shared import outbox, tracing
from bellwether_shared.envelope import Envelope, utcnow
from bellwether_shared.events.base import Event


@dataclass(frozen=True, slots=True)
class AuditEntry:
    entity_type: str
    entity_id: str
    action: str
    actor: str
    details: dict[str, Any]


AuditWriter = Callable[[asyncpg.Connection, Sequence[AuditEntry]], Awaitable[None]]


class Work(Protocol):
    """What a use case asks of its unit of work beyond its repositories: the time it runs at, and the
    events it causes (written with the state, or not at all). ``UnitOfWork`` is the real one; a fake
    that keeps the events in memory serves fast use-case tests."""

    @property
    def now(self) -> datetime: ...

    def emit(self, *events: Event, event_id: str | None = None, at: datetime | None = None) -> None: ...


@dataclass
class UnitOfWork:
    conn: asyncpg.Connection
    source: str  # ce_source of the events emitted, e.g. "bellwether/renewals"
    now: datetime = field(default_factory=utcnow)
    audit_writer: AuditWriter | None = None
    _events: list[Envelope] = field(default_factory=list)
    _audit: list[AuditEntry] = field(default_factory=list)

    def emit(self, *events: Event, event_id: str | None = None, at: datetime | None = None) -> None:
        """Queue events for the outbox; ids are fresh uuids unless one is given (one event only)."""
        assert event_id is None or len(events) == 1, "one event id for one event"
        current = tracing.current()  # inside a span continuing a trace (a re-score): the events continue it
        for e in events:
            caused = tracing.cause_of(e.subject()) or current  # a consumed record about the same account first
            eid = event_id or str(uuid.uuid4())
            self._events.append(e.envelope(event_id=eid, source=self.source, time=at or self.now, trace=caused or None))

    def emit_envelopes(self, envelopes: Sequence[Envelope]) -> None:
        """Envelopes built elsewhere with ids of their own (e.g. derived from an incoming message)."""
        self._events.extend(envelopes)

    def audit(self, *, entity_type: str, entity_id: str, action: str, actor: str, details: dict[str, Any]) -> None:
        if self.audit_writer is None:
            raise RuntimeError(f"{self.source} keeps no audit trail")
        self._audit.append(AuditEntry(entity_type, entity_id, action, actor, details))

    @property
    def pending_events(self) -> tuple[Envelope, ...]:
        return tuple(self._events)

    async def flush(self) -> int:
        """Write what was queued (inside the transaction). Returns how many events were queued."""
        events, self._events = self._events, []
        entries, self._audit = self._audit, []
        if entries and self.audit_writer is not None:
            await self.audit_writer(self.conn, entries)
        return await outbox.add(self.conn, events)


@asynccontextmanager
async def within(
    conn: asyncpg.Connection, *, source: str, audit_writer: AuditWriter | None = None, now: datetime | None = None
) -> AsyncIterator[UnitOfWork]:
    assert conn.is_in_transaction(), "within() joins an open transaction"
    uow = UnitOfWork(conn, source, now or utcnow(), audit_writer)
    yield uow
    await uow.flush()

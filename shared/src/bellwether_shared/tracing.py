"""One trace across the system: what carries a trace from a consumed record to what it causes.

Kafka records carry W3C ``traceparent``. The consumer opens a ``<topic> process`` span for each
*sampled* record, as a child of the record's context, and while its batch is applied records that
span's context as the *cause* of anything that happens to the record's subject (the account id): an
outbox row, a re-score queued, a delivery. Batch handlers stay batch handlers; the cause is looked up
by subject where the effect is written (:func:`cause_of`). Unsampled records cost nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import propagate, trace

Carrier = dict[str, str]
_causes: ContextVar[Mapping[str, Carrier] | None] = ContextVar("bellwether_causes", default=None)


def sampled(carrier: Mapping[str, str] | None) -> bool:
    """Whether a W3C context asks to be recorded (its trace-flags' sampled bit)."""
    parent = (carrier or {}).get("traceparent", "")
    return len(parent) == 55 and int(parent[-2:], 16) & 1 == 1


def carrier_of(span: trace.Span) -> Carrier:
    carrier: Carrier = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def current() -> Carrier:
    """The current span's context, when it is being recorded (else nothing: an unsampled trace)."""
    if not trace.get_current_span().is_recording():
        return {}
    carrier: Carrier = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def caused_by(causes: Mapping[str, Carrier]) -> Iterator[None]:
    """While applying a batch: the span context that caused what happens to each subject."""
    token = _causes.set(causes or None)
    try:
        yield
    finally:
        _causes.reset(token)


def cause_of(subject: str | None) -> Carrier:
    causes = _causes.get()
    if not causes or subject is None:
        return {}
    return dict(causes.get(subject, {}))


@contextmanager
def continued(carrier: Mapping[str, str] | None, name: str, **attributes: str) -> Iterator[trace.Span | None]:
    """A span continuing a stored context (a queued re-score, a delivery), current inside the block;
    nothing when the context is absent or unsampled."""
    if not sampled(carrier):
        yield None
        return
    tracer = trace.get_tracer("bellwether")
    with tracer.start_as_current_span(name, context=propagate.extract(dict(carrier or {})), attributes=attributes) as s:
        yield s

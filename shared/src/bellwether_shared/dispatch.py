"""Event type → handler: a consumer's table, instead of if/elif on type strings.

A service declares ``handlers = Handlers[Batch]()`` and registers plain async functions per event
model with ``@handlers.on(Model)``: each receives the batch context the service chose (its unit of
work, accumulators) and the payload parsed into the shared typed model. ``@handlers.on_raw(type)``
registers one on the decoded JSON instead, for the hot path where parsing costs too much (the
caller says so with the measured figure). A payload that does not parse raises ``ValidationError``
(a ``ValueError``): the consumer retries it record by record and dead-letters it as poison.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bellwether_shared.events.base import Event
from bellwether_shared.records import Consumed

C = TypeVar("C")
E = TypeVar("E", bound=Event)


@dataclass(frozen=True, slots=True)
class _Route(Generic[C]):
    model: type[Event] | None  # None: the handler takes the decoded JSON
    handle: Callable[[C, Any, Consumed], Awaitable[None]]


class Handlers(Generic[C]):
    def __init__(self) -> None:
        self._routes: dict[str, list[_Route[C]]] = {}

    def on(
        self, *models: type[E]
    ) -> Callable[[Callable[[C, E, Consumed], Awaitable[None]]], Callable[[C, E, Consumed], Awaitable[None]]]:
        def register(fn: Callable[[C, E, Consumed], Awaitable[None]]) -> Callable[[C, E, Consumed], Awaitable[None]]:
            for model in models:
                self._routes.setdefault(model.event_type, []).append(_Route(model, fn))
            return fn

        return register

    def on_raw(
        self, *event_types: str
    ) -> Callable[
        [Callable[[C, dict[str, Any], Consumed], Awaitable[None]]],
        Callable[[C, dict[str, Any], Consumed], Awaitable[None]],
    ]:
        def register(
            fn: Callable[[C, dict[str, Any], Consumed], Awaitable[None]],
        ) -> Callable[[C, dict[str, Any], Consumed], Awaitable[None]]:
            for t in event_types:
                self._routes.setdefault(t, []).append(_Route(None, fn))
            return fn

        return register

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._routes)

    async def dispatch(self, ctx: C, c: Consumed) -> bool:
        """Run every handler registered for the record's type. False: none is (the record is not
        one this consumer keeps)."""
        routes = self._routes.get(c.envelope.type)
        if not routes:
            return False
        parsed: dict[type[Event], Event] = {}
        for route in routes:
            if route.model is None:
                await route.handle(ctx, c.payload, c)
                continue
            if route.model not in parsed:
                parsed[route.model] = route.model.model_validate(c.payload)
            await route.handle(ctx, parsed[route.model], c)
        return True

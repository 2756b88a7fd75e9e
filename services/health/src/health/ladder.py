"""The value ladder inside a re-score: the pure core places each account (domain.value), a changed
standing is kept, and a change of rung is announced (``value_ladder_changed``; the first standing is
a baseline, announced with no previous rung so the account view has it). Called by ``recompute``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bellwether_shared.events import health as ev
from bellwether_shared.uow import UnitOfWork
from health import assessment_repository as repo
from health.domain import value
from health.domain.commands import ValueStanding
from health.domain.model import AccountFacts


@dataclass
class Ladder:
    uow: UnitOfWork
    _changed: list[ValueStanding] = field(default_factory=list)

    def place(self, account_id: str, g: Mapping[str, list[Any]], facts: AccountFacts) -> None:
        """Where the account stands now, against what was kept (``g["value"]``: its row, if any)."""
        s = value.standing(facts, self.uow.now)
        if s is None:
            return
        was = g["value"][0] if g["value"] else None
        if was is not None and (was["rung"], was["reason"]) == (s.rung, s.reason):
            return
        self._changed.append(ValueStanding(account_id, s.rung, s.step, s.reason, self.uow.now))
        if was is None or was["rung"] != s.rung:
            self.uow.emit(
                ev.ValueLadderChanged(
                    account_id=account_id,
                    rung=s.rung,
                    step=s.step,
                    previous_rung=was["rung"] if was else None,
                    reason=s.reason,
                    assessed_at=self.uow.now,
                )
            )

    async def save(self, conn: asyncpg.Connection) -> None:
        await repo.save_value_standings(conn, rows=self._changed)

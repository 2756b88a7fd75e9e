"""Background work of the account view: retention only (the consumer is the service's own loop)."""

from __future__ import annotations

import asyncio

from accounts import retention_repository as retention
from accounts.settings import AccountsSettings
from bellwether_shared import retention as shared_retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context, run_worker
from bellwether_shared.settings import load_settings


def loops(ctx: Context) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, AccountsSettings)
    return [shared_retention.loop(ctx.pool, retention.rules(s), s)]


def main() -> None:
    """``python -m accounts.worker``: the loops alone, without the API or the consumer."""
    settings = load_settings(AccountsSettings)
    asyncio.run(run_worker(settings, name="accounts-worker", loops=loops, pool_size=2))


if __name__ == "__main__":
    main()

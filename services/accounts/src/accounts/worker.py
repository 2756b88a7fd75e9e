"""Background work of the account view: retention only (the consumer is the service's own loop)."""

from __future__ import annotations

from accounts import retention
from accounts.settings import AccountsSettings
from bellwether_shared import retention as shared_retention
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.service import Context


def loops(ctx: Context) -> list[BackgroundLoop]:
    s = ctx.settings
    assert isinstance(s, AccountsSettings)
    return [shared_retention.loop(ctx.pool, retention.rules(s), s)]

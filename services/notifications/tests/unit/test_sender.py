"""The URL guard at send time: whatever a destination held when it was created, every send resolves
again and refuses what is not global (a name may have been re-pointed inside since: DNS rebinding).
No network: the refusals happen before any connection."""

from __future__ import annotations

import pytest

from notifications.domain import urlguard
from notifications.sender import Sender, resolve_checked
from notifications.settings import NotificationsSettings


def _sender(**extra: object) -> Sender:
    values: dict[str, object] = {
        "database_url": "postgresql://u:p@127.0.0.1/db",
        "api_token": "t" * 40,
        "secrets_key": "k" * 40,
        **extra,
    }
    return Sender(NotificationsSettings(**values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.255.255.1:8080/hook", "refused: url: 10.255.255.1 is private"),
        ("http://localhost:9/hook", "refused: url: 127.0.0.1 is loopback"),
        ("http://[::ffff:169.254.169.254]/latest", "refused: url: ::ffff:a9fe:a9fe embeds 169.254.169.254"),
        ("https://no-such-host.invalid/h", "refused: url: the host does not resolve"),
    ],
)
async def test_every_send_checks_the_address_again(target: str, reason: str) -> None:
    sender = _sender()
    try:
        result = await sender.send(
            kind="webhook", target=target, secrets=["whsec_" + "A" * 32], delivery_id="d1", payload=b"{}"
        )
    finally:
        await sender.close()
    assert not result.ok and result.error is not None and result.error.startswith(reason), result


async def test_an_allow_listed_network_is_callable_and_a_name_resolving_inside_is_not() -> None:
    allow = _sender(allow_networks=["127.0.0.0/8"]).allow
    assert str(await resolve_checked(urlguard.parse("http://127.0.0.1:9/h"), allow)) == "127.0.0.1"
    with pytest.raises(urlguard.Refused, match="loopback"):
        await resolve_checked(urlguard.parse("http://localhost:9/h"), [])

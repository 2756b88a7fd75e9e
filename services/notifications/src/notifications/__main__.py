"""``python -m notifications``: serve the notifications API and run its consumer, deliverer and digests."""

from __future__ import annotations

import uvicorn

from bellwether_shared.settings import load_settings
from notifications.app import create_app
from notifications.settings import NotificationsSettings


def main() -> None:
    settings = load_settings(NotificationsSettings)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=30,
    )


if __name__ == "__main__":
    main()

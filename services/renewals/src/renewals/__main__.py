"""``python -m renewals``: serve the renewals API and run its consumer, outbox relay and sweep."""

from __future__ import annotations

import uvicorn

from bellwether_shared.settings import load_settings
from renewals.app import create_app
from renewals.settings import RenewalsSettings


def main() -> None:
    settings = load_settings(RenewalsSettings)
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

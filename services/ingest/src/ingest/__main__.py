"""``python -m ingest``: serve the ingest API with uvicorn (settings from the environment)."""

from __future__ import annotations

import uvicorn

from bellwether_shared.settings import load_settings
from ingest.app import create_app
from ingest.settings import IngestSettings


def main() -> None:
    settings = load_settings(IngestSettings)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()

"""``python -m ingest``: serve the ingest API with uvicorn (settings from the environment)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from bellwether_shared.settings import load_settings
from ingest.app import create_app
from ingest.settings import IngestSettings


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's worker processes: each builds its own app from the environment."""
    return create_app(load_settings(IngestSettings))


def main() -> None:
    settings = load_settings(IngestSettings)  # fail fast here, before any worker starts
    uvicorn.run(
        "ingest.__main__:app_from_environment",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.http_workers,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()

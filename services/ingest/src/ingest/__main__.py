"""``python -m ingest``: serve the ingest API with uvicorn (settings from the environment)."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from ingest.app import create_app
from ingest.settings import IngestSettings


def app_from_environment() -> FastAPI:
    """The app, built from the environment: uvicorn calls it in each of the HTTP_WORKERS processes."""
    return create_app(load_settings(IngestSettings))


def main() -> None:
    settings = load_settings(IngestSettings)  # fail fast here, before any worker starts
    serve("ingest.__main__:app_from_environment", settings, graceful_shutdown_s=20)


if __name__ == "__main__":
    main()

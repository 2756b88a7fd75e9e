"""``python -m health``: serve the health API and run its consumer and re-score workers."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from health.app import create_app
from health.settings import HealthSettings


def app_from_environment() -> FastAPI:
    """The app, built from the environment: uvicorn calls it in each of the HTTP_WORKERS processes."""
    return create_app(load_settings(HealthSettings))


def main() -> None:
    settings = load_settings(HealthSettings)  # fail fast here, before any worker starts
    serve("health.__main__:app_from_environment", settings)


if __name__ == "__main__":
    main()

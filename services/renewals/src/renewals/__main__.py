"""``python -m renewals``: serve the renewals API and run its consumer, outbox relay and sweep."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from renewals.app import create_app
from renewals.settings import RenewalsSettings


def app_from_environment() -> FastAPI:
    """The app, built from the environment: uvicorn calls it in each of the HTTP_WORKERS processes."""
    return create_app(load_settings(RenewalsSettings))


def main() -> None:
    settings = load_settings(RenewalsSettings)  # fail fast here, before any worker starts
    serve("renewals.__main__:app_from_environment", settings)


if __name__ == "__main__":
    main()

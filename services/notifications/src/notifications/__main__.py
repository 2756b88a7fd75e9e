"""``python -m notifications``: serve the notifications API and run its consumer, deliverer and digests."""

from __future__ import annotations

from fastapi import FastAPI

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from notifications.app import create_app
from notifications.settings import NotificationsSettings


def app_from_environment() -> FastAPI:
    """The app, built from the environment: uvicorn calls it in each of the HTTP_WORKERS processes."""
    return create_app(load_settings(NotificationsSettings))


def main() -> None:
    settings = load_settings(NotificationsSettings)  # fail fast here, before any worker starts
    serve("notifications.__main__:app_from_environment", settings)


if __name__ == "__main__":
    main()

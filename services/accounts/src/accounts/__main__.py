"""``python -m accounts``: serve the account view and run its consumer."""

from __future__ import annotations

from fastapi import FastAPI

from accounts.app import create_app
from accounts.settings import AccountsSettings
from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings


def app_from_environment() -> FastAPI:
    """The app, built from the environment: uvicorn calls it in each of the HTTP_WORKERS processes."""
    return create_app(load_settings(AccountsSettings))


def main() -> None:
    settings = load_settings(AccountsSettings)  # fail fast here, before any worker starts
    serve("accounts.__main__:app_from_environment", settings)


if __name__ == "__main__":
    main()

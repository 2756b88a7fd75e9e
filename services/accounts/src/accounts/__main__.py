"""``python -m accounts``: serve the account view and run its consumer."""

from __future__ import annotations

from accounts.app import create_app
from accounts.settings import AccountsSettings
from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings


def main() -> None:
    settings = load_settings(AccountsSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

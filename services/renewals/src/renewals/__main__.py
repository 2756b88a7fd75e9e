"""``python -m renewals``: serve the renewals API and run its consumer, outbox relay and sweep."""

from __future__ import annotations

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from renewals.app import create_app
from renewals.settings import RenewalsSettings


def main() -> None:
    settings = load_settings(RenewalsSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

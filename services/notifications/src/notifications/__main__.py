"""``python -m notifications``: serve the notifications API and run its consumer, deliverer and digests."""

from __future__ import annotations

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from notifications.app import create_app
from notifications.settings import NotificationsSettings


def main() -> None:
    settings = load_settings(NotificationsSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

"""``python -m health``: serve the health API and run its consumer and re-score workers."""

from __future__ import annotations

from bellwether_shared.runtime import serve
from bellwether_shared.settings import load_settings
from health.app import create_app
from health.settings import HealthSettings


def main() -> None:
    settings = load_settings(HealthSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

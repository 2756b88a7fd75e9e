"""The project's own checks, run by ``make lint``: sizes (``python -m tools.checks.sizes``) and the
service skeleton (``python -m tools.checks.skeleton``)."""

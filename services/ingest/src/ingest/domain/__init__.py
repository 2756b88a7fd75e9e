"""Ingest's pure core: normalising the tracking wire format, identity resolution, write-key scopes,
tracking plans, senders' signatures, and the webhook adapters (verify, parse, map, answer). It imports no
framework and no infrastructure; the use cases (``service``, ``signals``) call it."""

"""The tone of a free-text comment (an NPS answer's), -1 negative … 1 positive, with TextBlob's
lexicon (bundled with the package: no download, no network). Part of a contact's delight, never more
than a nudge (domain.champions)."""

from __future__ import annotations

from textblob import TextBlob


def polarity(text: str | None) -> float | None:
    if not text or not text.strip():
        return None
    return round(float(TextBlob(text[:2000]).sentiment.polarity), 3)

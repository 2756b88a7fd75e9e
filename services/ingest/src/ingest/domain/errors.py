"""What the use cases refuse, in the domain's words; ``ingest.http_errors`` maps each kind to its HTTP status
in one place. Each names its code and, where one field is at fault, the field."""

from __future__ import annotations


class IngestError(Exception):
    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class Invalid(IngestError):
    """The request as sent cannot be read (its body, its format)."""


class Unauthorised(IngestError):
    """The sender could not be told apart from anyone else (no key, a wrong signature, a replay)."""


class Forbidden(IngestError):
    """The sender is known but may not do this."""


class WrongSource(IngestError):
    """The source exists but is of another kind than the call needs."""


class Unavailable(IngestError):
    """Nothing was accepted: a dependency (the event stream, the database) did not answer; retry later."""

    def __init__(self, why: str) -> None:
        super().__init__("unavailable", f"{why}; retry later")

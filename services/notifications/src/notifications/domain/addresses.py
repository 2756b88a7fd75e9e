"""Where a destination sends to, checked when it is created: e-mail addresses (syntax, one line, no
DNS lookup) and host names (RFC 1035 / IDNA: labels of 1 to 63 characters, 253 in all)."""

from __future__ import annotations

import ipaddress
import re

from email_validator import EmailNotValidError, validate_email

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class Invalid(ValueError):
    """The reason a target cannot be used."""


def email(address: str) -> str:
    """The address, normalised (domain lower-cased); a header can never carry CR/LF through it."""
    if "\r" in address or "\n" in address:
        raise Invalid("an e-mail address is one line (no CR or LF)")
    try:
        return validate_email(address, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"not an e-mail address: {exc}") from None


def hostname(host: str) -> str:
    """A DNS name (IDNA-encoded when not ASCII) or an IP literal, checked label by label."""
    try:
        return str(ipaddress.ip_address(host))  # an IP literal: the address check decides
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Invalid(f"'{host[:80]}' is not a valid host name (a label is empty or over 63 characters)") from None
    if len(ascii_host.rstrip(".")) > 253:
        raise Invalid("the host name is over 253 characters")
    for label in ascii_host.rstrip(".").split("."):
        if not _LABEL.fullmatch(label):
            raise Invalid(f"'{label[:70]}' is not a valid label of a host name")
    return ascii_host

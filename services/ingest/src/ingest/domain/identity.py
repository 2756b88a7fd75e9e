"""Identity resolution (pure): which account an event belongs to, and what it says about membership.

The B2B SaaS convention of the standard tracking API: the account is ``groupId`` on group calls
and ``context.groupId`` on every other call. When a call carries neither, the user→account
mapping decides; group calls and the B2B lifecycle events (Account Added User / Account Removed
User, Signed Up with a groupId) maintain that mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ingest.domain.normalise import Message

LIFECYCLE_EVENTS: dict[str, Literal["account_created", "account_deleted", "trial_started", "trial_ended"]] = {
    "Account Created": "account_created",
    "Account Deleted": "account_deleted",
    "Trial Started": "trial_started",
    "Trial Ended": "trial_ended",
}


_MEMBERSHIP_EVENTS = frozenset({"Account Added User", "Account Removed User", "Signed Up"})


@dataclass(frozen=True, slots=True)
class Membership:
    user_id: str
    account_id: str
    joined: bool  # False: left
    via: Literal["group", "account_added_user", "signed_up", "account_removed_user"]


def _text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def explicit_account(msg: Message) -> str | None:
    """The account the call names itself, if any."""
    if msg.type == "group":
        return msg.group_id
    return _text(msg.context.get("groupId")) or (_text(msg.properties.get("groupId")) if msg.type == "track" else None)


def membership(msg: Message) -> Membership | None:
    """What the call says about a user's membership of an account."""
    user = msg.user_id or msg.anonymous_id
    if user is None:
        return None
    if msg.type == "group" and msg.group_id:
        return Membership(user, msg.group_id, True, "group")
    if msg.type != "track" or msg.event not in _MEMBERSHIP_EVENTS:
        return None
    account = explicit_account(msg)
    if account is None:
        return None
    if msg.event == "Account Added User":
        return Membership(user, account, True, "account_added_user")
    if msg.event == "Account Removed User":
        return Membership(user, account, False, "account_removed_user")
    if msg.event == "Signed Up":
        return Membership(user, account, True, "signed_up")
    return None


def lifecycle_change(msg: Message) -> str | None:
    return LIFECYCLE_EVENTS.get(msg.event or "") if msg.type == "track" else None


class Resolver:
    """Resolves a request's messages in order, so a group call earlier in a batch maps later events."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = dict(known)  # user or anonymous id -> account id

    def resolve(self, msg: Message) -> tuple[str | None, Membership | None]:
        """(account, membership change) of one message; the change also updates the mapping."""
        change = membership(msg)
        if change is not None:
            if change.joined:
                self.known[change.user_id] = change.account_id
            elif self.known.get(change.user_id) == change.account_id:
                del self.known[change.user_id]
        account = explicit_account(msg)
        if account is not None:
            return account, change
        for ident in (msg.user_id, msg.anonymous_id):
            if ident is not None and ident in self.known:
                return self.known[ident], change
        if msg.type == "alias" and msg.previous_id in self.known:
            assert msg.previous_id is not None and msg.user_id is not None
            self.known[msg.user_id] = self.known[msg.previous_id]
            return self.known[msg.user_id], change
        return None, change

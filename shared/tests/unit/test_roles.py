"""The one role model: who may do what, and denials naming the role needed."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bellwether_shared.http import ApiError
from bellwether_shared.roles import NEEDED, PERMISSIONS, ApiKey, KeyRing, sha256

KEYS = {role: f"key-of-{role}-" + "x" * 20 for role in PERMISSIONS}
RING = KeyRing(
    [ApiKey(actor=f"{r}@x", role=r, token_sha256=sha256(k)) for r, k in KEYS.items()],  # type: ignore[arg-type]
    legacy_admin_token="legacy-" + "y" * 30,
)


@given(st.sampled_from(sorted(PERMISSIONS)), st.sampled_from(sorted(NEEDED)))
def test_each_role_may_exactly_its_permissions_and_a_denial_names_a_role_that_may(role: str, permission: str) -> None:
    auth = f"Bearer {KEYS[role]}"
    if permission in PERMISSIONS[role]:
        assert RING.authorise(auth, permission).role == role
        return
    with pytest.raises(ApiError) as exc:
        RING.authorise(auth, permission)
    assert exc.value.status == 403 and NEEDED[permission] in exc.value.message
    assert permission in PERMISSIONS[NEEDED[permission]]  # the role named would be allowed


def test_admins_configure_but_never_decide_and_the_legacy_token_is_an_admin() -> None:
    assert RING.authorise("Bearer legacy-" + "y" * 30, "configure").actor == "admin-token"
    with pytest.raises(ApiError) as exc:
        RING.authorise(f"Bearer {KEYS['admin']}", "decide")
    assert "vp_cs" in exc.value.message


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer unknown-key"])
def test_missing_or_unknown_keys_are_401(header: str | None) -> None:
    with pytest.raises(ApiError) as exc:
        RING.identify(header)
    assert exc.value.status == 401

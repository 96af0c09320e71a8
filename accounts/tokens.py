"""Personal API tokens: issuing and revoking them, and finding the user a token belongs to.

A token is shown to its owner once; only its SHA-256 is stored (ApiToken.digest). The
grading API (`POST /api/challenges/<slug>/submissions` from a notebook) authenticates
with `user_for_authorization_header(request.headers.get("Authorization"))`.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import TOKEN_PREFIX, ApiToken, User

# token_urlsafe(32) is 43 characters; anything much longer is not ours and is refused
# before it is hashed.
_MAX_TOKEN_LENGTH = 128


def user_for_token(raw: str) -> User | None:
    """The active user whose API token is `raw`, or None; records when it was last used.

    The lookup is by the token's SHA-256 through the unique index, never by comparing
    secrets, so its timing reveals nothing about stored tokens (an attacker controls the
    hash's input, not its output).
    """
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > _MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.hash(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    # An UPDATE rather than save(): concurrent requests with the same token must not
    # overwrite each other's rows, only the timestamp.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def user_for_authorization_header(header: str | None) -> User | None:
    """The user of an `Authorization: Bearer <token>` (or `Token <token>`) header, or None."""
    if not header:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() not in ("bearer", "token"):
        return None
    return user_for_token(credentials)


@transaction.atomic
def create_token(*, user: User) -> str | None:
    """Issue `user` a token and return it (the only time it can be read).

    Returns None when the user already has one: "Create token" submitted twice (a double
    click, a replayed form) must not silently replace the token just copied into a
    notebook. Replacing a token is an explicit revoke, then create.
    """
    raw = ApiToken.generate()
    try:
        with transaction.atomic():
            ApiToken.objects.create(user=user, digest=ApiToken.hash(raw), prefix=raw[:8])
    except IntegrityError:
        # The one-to-one on user: a token exists already.
        return None
    return raw


def revoke_token(*, user: User) -> bool:
    """Delete `user`'s token; returns whether there was one."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted > 0

"""accounts/tokens.py: issuing, revoking and resolving personal API tokens."""

from __future__ import annotations

import pytest

from accounts import tokens
from accounts.models import ApiToken, User


def test_it_issues_a_token_and_stores_only_its_hash(alice: User) -> None:
    raw = tokens.create_token(user=alice)

    assert raw is not None and raw.startswith("la_")
    stored = ApiToken.objects.get(user=alice)
    assert stored.digest == ApiToken.hash(raw)
    assert raw not in (stored.digest, stored.prefix)
    assert stored.prefix == raw[:8]


def test_it_does_not_replace_an_existing_token(alice: User) -> None:
    raw = tokens.create_token(user=alice)

    assert tokens.create_token(user=alice) is None
    assert tokens.user_for_token(raw or "") == alice


def test_it_finds_the_user_and_records_the_use(alice: User) -> None:
    raw = tokens.create_token(user=alice) or ""

    assert tokens.user_for_token(raw) == alice
    assert ApiToken.objects.get(user=alice).last_used_at is not None


@pytest.mark.parametrize("raw", ["", "la_", "la_wrong", "nope", "la_" + "x" * 500, " "])
def test_it_rejects_unknown_tokens(alice: User, raw: str) -> None:
    tokens.create_token(user=alice)

    assert tokens.user_for_token(raw) is None


def test_it_rejects_a_revoked_token(alice: User) -> None:
    raw = tokens.create_token(user=alice) or ""

    assert tokens.revoke_token(user=alice)
    assert not tokens.revoke_token(user=alice)
    assert tokens.user_for_token(raw) is None


def test_it_rejects_the_token_of_a_deactivated_user(alice: User) -> None:
    raw = tokens.create_token(user=alice) or ""
    alice.is_active = False
    alice.save()

    assert tokens.user_for_token(raw) is None


def test_it_keeps_tokens_of_different_users_apart(alice: User, bob: User) -> None:
    a = tokens.create_token(user=alice) or ""
    b = tokens.create_token(user=bob) or ""

    assert (tokens.user_for_token(a), tokens.user_for_token(b)) == (alice, bob)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Token"])
def test_it_reads_an_authorization_header(alice: User, scheme: str) -> None:
    raw = tokens.create_token(user=alice)

    assert tokens.user_for_authorization_header(f"{scheme} {raw}") == alice


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer la_nope"])
def test_it_rejects_bad_authorization_headers(alice: User, header: str | None) -> None:
    tokens.create_token(user=alice)

    assert tokens.user_for_authorization_header(header) is None

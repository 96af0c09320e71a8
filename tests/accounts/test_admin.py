"""Django admin for users and API tokens."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken, Role, User


def test_it_lists_users_with_their_roles(
    client: Client, staff: User, alice: User, carol: User
) -> None:
    client.force_login(staff)

    response = client.get(
        reverse("admin:accounts_user_changelist"), {"role__exact": Role.INSTRUCTOR}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "carol" in page
    assert "alice@example.com" not in page


def test_it_edits_role_and_time_zone(client: Client, staff: User, alice: User) -> None:
    client.force_login(staff)

    response = client.get(reverse("admin:accounts_user_change", args=[alice.pk]))

    page = response.content.decode()
    assert 'name="role"' in page
    assert 'name="timezone"' in page


def test_it_creates_users_with_an_email(client: Client, staff: User) -> None:
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "ivy",
            "email": "ivy@example.com",
            "role": Role.INSTRUCTOR,
            "usable_password": "true",
            "password1": "an-admin-chosen-passphrase",
            "password2": "an-admin-chosen-passphrase",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(username="ivy").role == Role.INSTRUCTOR


def test_it_refuses_an_email_that_differs_only_in_case(
    client: Client, staff: User, alice: User
) -> None:
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "alice2",
            "email": "ALICE@example.com",
            "role": Role.LEARNER,
            "usable_password": "true",
            "password1": "an-admin-chosen-passphrase",
            "password2": "an-admin-chosen-passphrase",
        },
    )

    assert response.status_code == 200
    assert "A user with that e-mail address already exists." in response.content.decode()


def test_it_lists_tokens_without_showing_them(client: Client, staff: User, alice: User) -> None:
    raw = tokens.create_token(user=alice) or ""
    client.force_login(staff)
    token = ApiToken.objects.get()

    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()

    assert token.prefix in listing
    for page in (listing, detail):
        assert raw not in page
        assert token.digest not in page
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403

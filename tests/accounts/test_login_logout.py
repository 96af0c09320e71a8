"""accounts:login and accounts:logout."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "alice@example.com", "Alice@Example.com"])
def test_it_logs_in_with_username_or_email_in_any_case(
    client: Client, alice: User, identifier: str
) -> None:
    response = client.post(LOGIN, {"username": identifier, "password": PASSWORD})

    assert response.url == reverse("home")
    assert logged_in_as(client) == str(alice.pk)


def test_it_explains_a_wrong_password(client: Client, alice: User) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert 'value="alice"' in response.content.decode()
    assert logged_in_as(client) is None


def test_it_honours_next_and_links_signup_with_it(client: Client, alice: User) -> None:
    page = client.get(LOGIN, {"next": "/cohorts/join/ABCD2345/"}).content.decode()
    assert f"{reverse('accounts:signup')}?next=/cohorts/join/ABCD2345/" in page

    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "/cohorts/"})

    assert response.url == "/cohorts/"


def test_it_ignores_an_offsite_next(client: Client, alice: User) -> None:
    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response.url == reverse("home")


def test_it_logs_out_on_post(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(LOGOUT, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert logged_in_as(client) is None
    assert "You are logged out" in response.content.decode()


def test_it_refuses_logout_by_get(client: Client, alice: User) -> None:
    client.force_login(alice)

    assert client.get(LOGOUT).status_code == 405
    assert logged_in_as(client) == str(alice.pk)


def test_it_changes_nothing_on_a_replayed_logout(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(LOGOUT)

    response = client.post(LOGOUT)

    assert response.url == reverse("home")
    assert logged_in_as(client) is None


def test_it_returns_to_the_form_page_after_an_expired_session(
    client: Client, cohort_a: object
) -> None:
    """A POST whose session expired: log in, then back to the page the form was on."""
    from cohorts.models import Cohort

    cohort = Cohort.objects.get(name="Cohort A")
    detail = reverse("cohorts:detail", args=[cohort.pk])
    expired = client.post(
        reverse("cohorts:code-regenerate", args=[cohort.pk]),
        {"code": cohort.join_code},
        headers={"Referer": f"http://testserver{detail}"},
    )
    assert expired.url == f"{LOGIN}?next={detail}"

    response = client.post(expired.url, {"username": "carol", "password": PASSWORD})

    assert response.url == detail

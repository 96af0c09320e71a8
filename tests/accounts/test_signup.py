"""accounts:signup."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from tests.factories import make_user

URL = reverse("accounts:signup")
GOOD = {
    "username": "newbie",
    "email": "Newbie@Example.COM",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
    "timezone": "Europe/Berlin",
}


def test_it_shows_the_form_with_utc_preselected(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("username", "email", "password1", "password2", "timezone"):
        assert f'name="{name}"' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    assert '<optgroup label="Europe">' in page


def test_it_creates_a_learner_logs_them_in_and_goes_home(client: Client, db: None) -> None:
    response = client.post(URL, GOOD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(username="newbie")
    assert user.role == Role.LEARNER
    assert user.timezone == "Europe/Berlin"
    assert user.email == "Newbie@example.com"  # the domain part is normalised
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_honours_a_safe_next(client: Client, db: None) -> None:
    response = client.post(f"{URL}?next=/cohorts/join/ABCD2345/", GOOD)

    assert response.url == "/cohorts/join/ABCD2345/"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_it_ignores_an_offsite_next(client: Client, db: None, evil: str) -> None:
    response = client.post(URL, {**GOOD, "next": evil})

    assert response.url == reverse("home")


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
def test_it_refuses_a_taken_username_in_any_case(client: Client, db: None, taken: str) -> None:
    make_user("alice")

    response = client.post(URL, {**GOOD, "username": taken})

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [
        "That username is taken. Please choose another one."
    ]
    assert 'value="newbie@example.com"' in response.content.decode().lower()  # input kept
    assert User.objects.count() == 1


def test_it_refuses_a_taken_email_in_any_case(client: Client, db: None) -> None:
    make_user("alice")

    response = client.post(URL, {**GOOD, "email": "ALICE@example.com"})

    assert (
        "An account with this e-mail address already exists"
        in response.context["form"].errors["email"][0]
    )
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short"),
        ("password123", "This password is too common"),
        ("83749182736450", "This password is entirely numeric"),
        ("newbie2026", "The password is too similar to the username"),
    ],
)
def test_it_explains_weak_passwords_with_djangos_validators(
    client: Client, db: None, password: str, message: str
) -> None:
    response = client.post(URL, {**GOOD, "password1": password, "password2": password})

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["password2"])
    assert not User.objects.exists()


def test_it_explains_mismatched_passwords(client: Client, db: None) -> None:
    response = client.post(URL, {**GOOD, "password2": "something-else-entirely"})

    assert "didn’t match" in response.context["form"].errors["password2"][0]


def test_it_refuses_an_unknown_time_zone(client: Client, db: None) -> None:
    response = client.post(URL, {**GOOD, "timezone": "Mars/Olympus_Mons"})

    assert response.context["form"].errors["timezone"]
    assert not User.objects.exists()


def test_it_accepts_a_legacy_zone_name(client: Client, db: None) -> None:
    client.post(URL, {**GOOD, "timezone": "US/Eastern"})

    assert User.objects.get().timezone == "US/Eastern"


def test_it_sends_a_logged_in_user_on(client: Client, alice: User) -> None:
    client.force_login(alice)

    assert client.get(URL).url == reverse("home")


def test_it_refuses_other_methods(client: Client, db: None) -> None:
    assert client.put(URL).status_code == 405


def test_it_renders_the_full_page_for_htmx(client: Client, db: None) -> None:
    assert b"<html" in client.get(URL, headers={"HX-Request": "true"}).content

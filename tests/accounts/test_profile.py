"""accounts:profile, accounts:token-create and accounts:token-revoke."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken, User
from tests.factories import make_user

PROFILE = reverse("accounts:profile")
CREATE = reverse("accounts:token-create")
REVOKE = reverse("accounts:token-revoke")
HX = {"HX-Request": "true"}


def test_it_shows_email_time_zone_and_role(client: Client, carol: User) -> None:
    carol.timezone = "Asia/Tokyo"
    carol.save()
    client.force_login(carol)

    page = client.get(PROFILE).content.decode()

    assert 'value="carol@example.com"' in page
    assert '<option value="Asia/Tokyo" selected>Tokyo</option>' in page
    assert "Instructor" in page
    assert "/api/challenges/&lt;slug&gt;/submissions" in page
    assert "Create token" in page


def test_it_saves_settings(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(
        PROFILE, {"email": "alice@new.example", "timezone": "America/New_York"}, follow=True
    )

    alice.refresh_from_db()
    assert (alice.email, alice.timezone) == ("alice@new.example", "America/New_York")
    assert "Your settings are saved" in response.content.decode()


def test_it_returns_the_settings_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(
        PROFILE, {"email": "alice@example.com", "timezone": "Europe/Paris"}, headers=HX
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="profile-settings">')
    assert "<html" not in page
    assert "Your settings are saved" in page


def test_it_refuses_an_email_another_account_uses(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)

    response = client.post(PROFILE, {"email": "BOB@example.com", "timezone": "UTC"}, headers=HX)

    assert "Another account uses this e-mail address" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_it_keeps_a_legacy_zone_selectable(client: Client, db: None) -> None:
    user = make_user("old", timezone="US/Pacific")
    client.force_login(user)

    assert '<option value="US/Pacific" selected>' in client.get(PROFILE).content.decode()


def test_it_creates_a_token_and_shows_it_once(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(CREATE)

    raw = response.context["new_token"]
    assert raw and raw in response.content.decode()
    assert "shown only this once" in response.content.decode()
    assert tokens.user_for_token(raw) == alice
    assert response["Cache-Control"].startswith("max-age=0")
    assert raw not in client.get(PROFILE).content.decode()


def test_it_returns_the_token_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(CREATE, headers=HX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="api-token">')
    assert "<html" not in page
    shown = re.search(r'value="(la_[^"]+)"', page)
    assert shown and tokens.user_for_token(shown.group(1)) == alice


def test_it_changes_nothing_on_a_replayed_create(client: Client, alice: User) -> None:
    client.force_login(alice)
    raw = client.post(CREATE).context["new_token"]

    response = client.post(CREATE, headers=HX)

    assert "You already have a token" in response.content.decode()
    assert 'value="la_' not in response.content.decode()
    assert tokens.user_for_token(raw) == alice
    assert ApiToken.objects.count() == 1


def test_it_revokes_the_token(client: Client, alice: User) -> None:
    client.force_login(alice)
    raw = tokens.create_token(user=alice) or ""

    response = client.post(REVOKE, follow=True)

    assert tokens.user_for_token(raw) is None
    assert "Token revoked" in response.content.decode()
    assert "Create token" in response.content.decode()


def test_it_changes_nothing_on_a_replayed_revoke(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    tokens.create_token(user=alice)
    tokens.create_token(user=bob)
    client.post(REVOKE, headers=HX)

    response = client.post(REVOKE, headers=HX)

    assert "You have no token to revoke" in response.content.decode()
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["bob"]


def test_it_only_ever_touches_the_own_token(client: Client, alice: User, bob: User) -> None:
    bobs = tokens.create_token(user=bob) or ""
    client.force_login(alice)

    client.post(REVOKE)

    assert tokens.user_for_token(bobs) == bob


def test_it_refuses_wrong_methods(client: Client, alice: User) -> None:
    client.force_login(alice)

    assert client.put(PROFILE).status_code == 405
    assert client.get(CREATE).status_code == 405
    assert client.get(REVOKE).status_code == 405
    assert not ApiToken.objects.exists()


def test_it_sends_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    assert client.get(PROFILE).url == f"{reverse('accounts:login')}?next={PROFILE}"
    assert client.post(CREATE).url.startswith(reverse("accounts:login"))
    assert not ApiToken.objects.exists()


def test_it_renders_the_settings_partial_for_an_htmx_get(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.get(PROFILE, headers=HX)

    assert (
        response.content.decode()
        .lstrip()
        .startswith('<section class="card" id="profile-settings">')
    )

"""Password change and the four pages of password reset."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

NEW = "a-brand-new-passphrase-42"


def test_it_changes_the_password_and_keeps_the_session(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("accounts:password-change-done"), 302)]
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_it_explains_a_wrong_old_password(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_it_requires_login_to_change_a_password(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:password-change"))

    assert response.url.startswith(reverse("accounts:login"))


def test_it_resets_a_password_through_the_mailed_link(client: Client, alice: User) -> None:
    sent = client.post(reverse("accounts:password-reset"), {"email": "ALICE@example.com"})
    assert sent.url == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Learning Accelerator password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    assert link

    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )

    assert done.redirect_chain[-1][0] == reverse("accounts:password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    # The link works once.
    assert "This link no longer works" in client.get(link.group(1), follow=True).content.decode()


def test_it_does_not_reveal_whether_an_address_has_an_account(client: Client, db: None) -> None:
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})

    assert response.url == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_it_explains_a_tampered_reset_link(client: Client, alice: User) -> None:
    response = client.get("/accounts/password/reset/MQ/not-a-token/", follow=True)

    assert "This link no longer works" in response.content.decode()

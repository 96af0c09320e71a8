"""404, 403, 500 and the CSRF failure page."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, User


def test_it_renders_a_friendly_404(client: Client, db: None) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_it_renders_a_friendly_403_with_the_reason(client: Client, alice: User) -> None:
    client.force_login(alice)

    response = client.get(reverse("cohorts:create"))

    assert response.status_code == 403
    assert "Only instructors can create cohorts" in response.content.decode()


def test_it_renders_a_500_page_without_a_request_or_database() -> None:
    page = render_to_string("500.html")

    assert "Something went wrong" in page
    assert "/static/css/site.css" in page


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_it_explains_an_expired_form(csrf_client: Client, alice: User) -> None:
    csrf_client.force_login(alice)

    response = csrf_client.post(reverse("cohorts:join"), {"code": "ABCD2345"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page
    assert "reload the page" in page
    assert "HX-Refresh" not in response


def test_it_asks_htmx_to_reload_after_a_csrf_failure(csrf_client: Client, alice: User) -> None:
    csrf_client.force_login(alice)

    response = csrf_client.post(reverse("accounts:token-create"), headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["HX-Refresh"] == "true"
    assert not ApiToken.objects.exists()

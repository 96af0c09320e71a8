"""/learn/stats/ — statistics by tier and concept, tips and quick links."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("curriculum:stats")


def test_it_shows_the_computed_statistics(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stat="videos">47<' in html
    assert "12h 29m 11s" in html
    assert 'data-stat="xp">1905<' in html
    assert '53</span><span class="stat-label">study days (~11 weeks)' in html
    assert "1h 49m 51s" in html  # Foundation, from the listings (the seed's table says ~2h 9min)
    assert 'aria-label="Attention: 10 flashcards"' in html
    assert 'aria-label="Training: 11 flashcards"' in html


def test_it_shows_tips_and_quick_links(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert "Watch at 1.5× speed" in html
    assert 'href="https://github.com/rasbt/LLMs-from-scratch"' in html


def test_it_renders_the_tables_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="stats-tables"')


def test_it_refuses_a_post(client: Client) -> None:
    assert client.post(URL).status_code == 405

"""/learn/<tier>/ — one tier's challenges and flashcards."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from curriculum.models import Tier

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("curriculum:tier", args=["intermediate"])


def test_it_lists_the_tiers_challenges_and_cards(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Implement Self-Attention from Scratch" in html
    assert "Build Multi-Head Attention" in html
    assert "Build Your Own Tokenizer" not in html
    assert "Q, K, V intuition" in html
    assert "9 videos · 2h 16m 24s" in html


def test_it_shows_a_learners_progress(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert 'data-meter="videos">0 / 9<' in html
    assert 'data-meter="challenge-self-attention">0 / 9<' in html  # 4 videos + 5 items


def test_it_answers_404_for_an_unknown_or_retired_tier(client: Client) -> None:
    assert client.get(reverse("curriculum:tier", args=["legendary"])).status_code == 404
    Tier.objects.filter(slug="intermediate").update(retired=True)
    assert client.get(URL).status_code == 404


def test_it_renders_the_challenge_list_partial_for_htmx(client: Client) -> None:
    html = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<section id="tier-challenges"')


def test_it_refuses_a_post(client: Client) -> None:
    assert client.post(URL).status_code == 405

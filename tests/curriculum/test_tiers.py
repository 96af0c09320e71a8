"""/learn/ — the tiers with their numbers and, for a learner, progress bars."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from curriculum.models import Video
from progress.watching import set_watched

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("curriculum:tiers")


def test_it_shows_every_tier_to_a_visitor_without_progress(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for title in ("Foundation", "Intermediate", "Advanced", "Expert", "Mastery"):
        assert title in html
    assert "14 coding challenges, 47 videos" in html
    assert "<progress" not in html
    assert reverse("accounts:signup") in html


def test_it_counts_the_tiers_videos_from_the_listings(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert "8 videos · 1h 50m" in html  # Foundation
    assert "14 videos · 4h 3m" in html  # Mastery


def test_it_shows_a_learners_progress_bars(client: Client, alice: User) -> None:
    set_watched(learner=alice, video=Video.objects.get(slug="tokens-to-ids"), watched=True)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert 'data-meter="videos-foundation">1 / 8<' in html
    assert 'data-meter="challenges-foundation">0 / 3<' in html
    assert '<progress class="meter-bar" value="1" max="8"' in html


def test_it_shows_no_one_elses_progress(client: Client, alice: User, bob: User) -> None:
    set_watched(learner=alice, video=Video.objects.get(slug="tokens-to-ids"), watched=True)
    client.force_login(bob)
    assert 'data-meter="videos-foundation">0 / 8<' in client.get(URL).content.decode()


def test_it_renders_the_tier_list_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get(URL, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="tier-list"')
    assert "<html" not in html


def test_it_refuses_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.post(URL).status_code == 405

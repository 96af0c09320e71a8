"""POST /progress/videos/<slug>/watched/ — tick a video, award its XP once."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from curriculum.models import Video
from progress.models import VideoWatch, XPEntry

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("progress:video-watched", args=["byte-pair-encoding"])


def test_it_ticks_the_video_and_returns_the_partials(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(URL, {"watched": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="video-watch" id="video-watch-byte-pair-encoding"')
    assert 'data-watched="true"' in html
    assert (
        '<section id="challenge-progress" class="card challenge-progress" hx-swap-oob="true"'
        in html
    )
    assert 'data-meter="challenge">1 / 10<' in html
    assert json.loads(response.headers["HX-Trigger"]) == {"xp-changed": {"amount": 5, "total": 5}}
    assert VideoWatch.objects.filter(learner=alice, video__slug="byte-pair-encoding").exists()
    assert list(XPEntry.objects.filter(learner=alice).values_list("reason", "amount")) == [
        ("video:byte-pair-encoding", 5)
    ]


def test_a_replayed_post_changes_nothing(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(URL, {"watched": "1"}, headers={"HX-Request": "true"})
    response = client.post(URL, {"watched": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers
    assert VideoWatch.objects.filter(learner=alice).count() == 1
    assert XPEntry.objects.filter(learner=alice).count() == 1


def test_unwatching_keeps_the_xp_and_rewatching_earns_none(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(URL, {"watched": "1"})
    response = client.post(URL, {"watched": "0"}, headers={"HX-Request": "true"})
    assert 'data-watched="false"' in response.content.decode()
    assert not VideoWatch.objects.filter(learner=alice).exists()
    client.post(URL, {"watched": "1"})
    assert XPEntry.objects.filter(learner=alice).count() == 1


def test_a_plain_form_post_redirects_back_to_the_video(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(URL, {"watched": "1"})
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("curriculum:challenge", args=["tokenizer"]) + "#video-byte-pair-encoding"
    )


def test_it_says_what_is_wrong_with_a_bad_value(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(URL, {"watched": "yes"})
    assert response.status_code == 400
    assert b"watched=1" in response.content
    assert not VideoWatch.objects.exists()


def test_it_answers_404_for_an_unknown_or_retired_video(client: Client, alice: User) -> None:
    client.force_login(alice)
    unknown = reverse("progress:video-watched", args=["nope"])
    assert client.post(unknown, {"watched": "1"}).status_code == 404
    Video.objects.filter(slug="byte-pair-encoding").update(retired=True)
    assert client.post(URL, {"watched": "1"}).status_code == 404


def test_it_only_ever_ticks_for_the_learner_who_asks(
    client: Client, alice: User, bob: User
) -> None:
    client.force_login(bob)
    client.post(URL, {"watched": "1"})
    assert not VideoWatch.objects.filter(learner=alice).exists()
    assert VideoWatch.objects.filter(learner=bob).count() == 1


def test_a_visitor_is_sent_to_log_in(client: Client) -> None:
    response = client.post(URL, {"watched": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not VideoWatch.objects.exists()


def test_it_refuses_a_get(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(URL).status_code == 405

"""/learn/challenges/<slug>/ — brief, videos, build items, key cards and the grading panel."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from curriculum.models import BuildItem, Challenge, Video
from progress.watching import set_item_done, set_watched

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("curriculum:challenge", args=["tokenizer"])


def test_it_shows_the_challenge(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Build Your Own Tokenizer" in html
    assert "Implement tokenization from scratch" in html
    assert "3–4 hours" in html and "100 XP" in html
    assert "byte pair encoding" in html  # the brief
    assert "BPE algorithm implementation" in html
    assert "#48</span> Why vocab size ~50k" in html
    assert 'id="grading-panel"' in html


def test_it_embeds_videos_privately_and_lazily(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/2U3JLwKdbmQ"' in html
    assert html.count('loading="lazy"') == 4  # five videos, one with a broken id
    assert "youtube.com/embed" not in html
    assert "21:10" in html and "Book ch. 2.5" in html


def test_it_links_the_playlist_instead_of_a_broken_player(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert "embed/Iuwqyddco" not in html
    assert f'href="{settings.PLAYLIST_URL}"' in html
    assert "Find “Tokenizing Text” in the" in html


def test_it_marks_the_core_video(client: Client) -> None:
    html = client.get(reverse("curriculum:challenge", args=["self-attention"])).content.decode()
    assert "⭐ Core" in html
    assert "Critical" in html


def test_a_visitor_gets_no_tick_forms(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert "progress/videos/" not in html
    assert "Log in</a> to tick off videos" in html


def test_it_shows_a_learners_ticks_and_progress(client: Client, alice: User) -> None:
    set_watched(learner=alice, video=Video.objects.get(slug="byte-pair-encoding"), watched=True)
    client.force_login(alice)
    html = client.get(reverse("curriculum:challenge", args=["embeddings"])).content.decode()
    assert 'data-meter="challenge">0 / 7<' in html  # 2 videos + 5 build items
    set_item_done(learner=alice, item=BuildItem.objects.get(slug="embeddings--pca-tsne"), done=True)
    html = client.get(reverse("curriculum:challenge", args=["embeddings"])).content.decode()
    assert 'data-meter="challenge">1 / 7<' in html
    assert "1 of 2 self-checks ticked" in html
    html = client.get(URL).content.decode()
    assert 'id="video-watch-byte-pair-encoding"' in html
    assert html.count('data-watched="true"') == 1


def test_it_does_not_show_another_learners_ticks(client: Client, alice: User, bob: User) -> None:
    set_watched(learner=alice, video=Video.objects.get(slug="byte-pair-encoding"), watched=True)
    client.force_login(bob)
    html = client.get(URL).content.decode()
    assert 'data-watched="true"' not in html
    assert 'data-meter="challenge">0 / 10<' in html


def test_it_answers_404_for_an_unknown_or_retired_challenge(client: Client) -> None:
    assert client.get(reverse("curriculum:challenge", args=["nope"])).status_code == 404
    Challenge.objects.filter(slug="tokenizer").update(retired=True)
    assert client.get(URL).status_code == 404


def test_it_leaves_out_retired_videos(client: Client) -> None:
    Video.objects.filter(slug="tokens-to-ids").update(retired=True)
    assert "Convert Tokens into Token IDs" not in client.get(URL).content.decode()


def test_it_renders_the_progress_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<section id="challenge-progress"')
    assert "hx-swap-oob" not in html


def test_it_refuses_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.post(URL).status_code == 405


def test_its_query_count_does_not_grow_with_progress(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.get(URL)
    cache.clear()  # both measured requests compute the nav (the page cache is per version)
    with CaptureQueriesContext(connection) as fresh:
        client.get(URL)
    for video in Video.objects.all():
        set_watched(learner=alice, video=video, watched=True)
    for item in BuildItem.objects.filter(kind="self"):
        set_item_done(learner=alice, item=item, done=True)
    cache.clear()
    with CaptureQueriesContext(connection) as busy:
        client.get(URL)
    assert len(busy) == len(fresh)


def test_it_links_the_sampling_explorer_from_the_sampling_challenge(
    content: None, client: Client
) -> None:
    html = client.get("/learn/challenges/sampling/").content.decode()

    assert 'href="/play/sampling/"' in html

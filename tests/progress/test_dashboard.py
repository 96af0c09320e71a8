"""The learner dashboard and the nav's XP badge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from curriculum.models import Card, Video
from flashcards.reviews import record_review
from progress import dashboard, streaks, xp
from progress.days import today
from progress.models import VideoWatch, XPEntry

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = reverse("progress:dashboard")
BADGE = reverse("progress:xp-badge")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def studied(content: None, alice: User) -> User:
    """alice finished the tokenizer (videos and pass), watched a video of the next
    challenge and reviewed a card."""
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    for video in Video.objects.current().filter(challenge__slug="tokenizer"):
        VideoWatch.objects.create(learner=alice, video=video)
    video = Video.objects.current().get(slug="token-embeddings")
    VideoWatch.objects.create(learner=alice, video=video)
    xp.award(learner=alice, reason=xp.video_reason(video.slug), amount=xp.VIDEO_XP)
    record_review(learner=alice, card=Card.objects.get(number=5), rating=3, token="a" * 32)
    # An older day of study, for the heat map and the streak.
    entry = xp.award(learner=alice, reason="video:older", amount=5)
    assert entry is not None
    XPEntry.objects.filter(pk=entry.pk).update(created_at=entry.created_at - timedelta(days=1))
    return alice


def test_it_shows_xp_level_streak_goal_tiers_challenges_and_flashcards(
    studied: User, bob: User
) -> None:
    xp.award(learner=bob, reason=xp.challenge_pass_reason("embeddings"), amount=80)
    response = _client(studied).get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    total = 100 + 5 + 1 + 5
    assert f'<strong id="xp-total">{total}</strong>' in html
    assert f"<h2>Level {xp.level_for(total).number}</h2>" in html
    assert '<strong id="streak-days">2</strong>' in html and "Today counts" in html
    assert f'<strong id="goal-earned">{100 + 5 + 1}</strong> / {xp.DAILY_GOAL_XP} XP' in html
    assert html.count('aria-label="Foundation progress"') == 1 and "1/3 challenges" in html
    statuses = re.findall(r'status-badge status-([a-z-]+)">', html)
    assert statuses[:3] == ["passed", "started", "not-started"] and len(statuses) == 14
    assert re.search(r'class="current-challenge">\s*<td>2</td>', html)  # embeddings is current
    assert 'id="cards-due-today"' in html and 'class="forecast-chart"' in html
    assert 'id="true-retention"' in html and html.count('class="forecast-bar') == 30
    assert html.count('class="heat heat-') >= 7 * 25 and "heat-today" in html
    # Next step: alice has a new card due, so reviewing comes first.
    assert "flashcard" in re.search(r'id="next-step">(.*?)</section>', html, re.S).group(1)
    # bob's pass is bob's: embeddings is not passed on alice's dashboard.
    assert statuses[1] != "passed"


def test_it_renders_only_the_panels_for_htmx(studied: User) -> None:
    html = _client(studied).get(URL, **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="dashboard-panels"') and "<html" not in html


def test_it_sends_anonymous_visitors_to_log_in(client: Client) -> None:
    for url in (URL, BADGE):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_refuses_the_wrong_http_method(alice: User) -> None:
    client = _client(alice)
    assert client.post(URL).status_code == 405 and client.post(BADGE).status_code == 405


def test_it_answers_in_a_bounded_number_of_queries_whatever_the_history(
    studied: User, django_assert_max_num_queries: object
) -> None:
    client = _client(studied)
    client.get(URL)  # warm the session
    cache.clear()  # count the page as computed, not as the page cache serves it
    with CaptureQueriesContext(connection) as before:
        assert client.get(URL).status_code == 200
    for number in (1, 2, 3, 48, 6):
        record_review(
            learner=studied, card=Card.objects.get(number=number), rating=3, token=f"{number:0>32}"
        )
    for slug in ("tokenizer", "embeddings", "data-pipeline"):
        xp.award(learner=studied, reason=f"video:extra-{slug}", amount=5)
    cache.clear()
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        with CaptureQueriesContext(connection) as after:
            assert client.get(URL).status_code == 200
    assert len(after) == len(before)  # no query per card, review or award


def test_it_renders_the_xp_badge_for_the_nav(studied: User) -> None:
    client = _client(studied)
    html = client.get(BADGE, **HTMX).content.decode()
    assert html.lstrip().startswith('<a id="xp-badge"') and "111 XP" in html
    assert 'hx-trigger="xp-changed from:body"' in html
    page = client.get(reverse("flashcards:review")).content.decode()
    assert 'id="xp-badge"' in page and 'id="nav-review"' in page


def test_it_suggests_the_next_video_then_the_submission(content: None, alice: User) -> None:
    statuses = dashboard.activity.challenge_statuses(learner=alice)
    step = dashboard.next_step(statuses, learner=alice)
    assert step is not None and step.text.startswith("Watch “Python Environment Setup”")
    for video in Video.objects.current().filter(challenge__slug="tokenizer"):
        VideoWatch.objects.create(learner=alice, video=video)
    statuses = dashboard.activity.challenge_statuses(learner=alice)
    step = dashboard.next_step(statuses, learner=alice)
    assert step is not None and step.text == "Build and submit “Build Your Own Tokenizer”"
    assert step.url == reverse("curriculum:challenge", args=["tokenizer"])


def test_it_outlines_days_kept_by_a_freeze_on_the_heat_map(alice: User) -> None:
    day = today(learner=alice)
    for ago in (2, 0):
        entry = xp.award(learner=alice, reason=f"video:{ago}", amount=5)
        assert entry is not None
        XPEntry.objects.filter(pk=entry.pk).update(
            created_at=entry.created_at - timedelta(days=ago)
        )
    streak = streaks.streak(learner=alice)
    heat = dashboard.heat_map(learner=alice, today=day, streak=streak)
    cells = {cell.day: cell for cell in heat.cells}
    if (day - timedelta(days=1)).isocalendar().week == (
        day - timedelta(days=2)
    ).isocalendar().week or True:
        assert cells[day - timedelta(days=1)].frozen is (streak.current == 2)
    assert cells[day].level == 1 and cells[day - timedelta(days=3)].level == 0
    assert heat.active_days == 2 and cells[day] == heat.cells[-1]

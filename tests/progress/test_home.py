"""/ — a landing page for visitors, "today" for a learner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from curriculum.models import Video
from progress import xp
from progress.plan import set_plan
from progress.today import today_plan
from progress.watching import set_watched

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("home")


def test_a_visitor_gets_the_landing_page(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Learn how LLMs work by building one." in html
    assert "47 videos, in order" in html  # counted from the content
    assert f'href="{reverse("accounts:signup")}"' in html
    assert f'href="{reverse("accounts:login")}"' in html


def test_a_learner_without_a_start_date_is_asked_for_one(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "Challenge 1: <a" in html and "Build Your Own Tokenizer" in html
    assert "Choose my start date" in html
    assert reverse("curriculum:path") + "#learning-plan" in html


def test_it_lists_what_to_watch_build_and_review(client: Client, alice: User) -> None:
    set_watched(
        learner=alice, video=Video.objects.get(slug="python-environment-setup"), watched=True
    )
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "4 videos left" in html
    assert "#video-tokenizing-text" in html
    assert "#video-python-environment-setup" not in html
    assert "BPE algorithm implementation" in html
    assert "#48</span> Why vocab size ~50k" in html
    assert 'id="cards-due"' in html  # the flashcards' spot


def test_it_shows_todays_plan_day_with_real_dates(client: Client, alice: User) -> None:
    today = timezone.localdate(timezone=alice.zone)
    set_plan(learner=alice, start_date=today - timedelta(days=2), study_days="daily")
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert f'data-today="{today.isoformat()}"' in html
    assert f"Today · {today:%A} {today.day} {today:%B %Y}" in html
    assert "Plan day <strong>3</strong> of 53" in html
    assert "You are 2 days behind." in html
    tomorrow = today + timedelta(days=1)
    assert f'data-date="{tomorrow.isoformat()}"' in html  # coming up


def test_the_learners_time_zone_decides_today(client: Client, alice: User) -> None:
    alice.timezone = "Pacific/Kiritimati"  # UTC+14
    alice.save()
    set_plan(learner=alice, start_date=date(2026, 3, 2), study_days="daily")
    client.force_login(alice)
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, 2, 12, tzinfo=UTC)):
        html = client.get(URL).content.decode()
    assert 'data-today="2026-03-03"' in html
    assert "Plan day <strong>2</strong> of 53" in html


def test_it_moves_on_once_a_challenge_is_complete(alice: User) -> None:
    for video in Video.objects.filter(challenge__slug="tokenizer"):
        set_watched(learner=alice, video=video, watched=True)
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    plan = today_plan(learner=alice)
    assert plan.challenge is not None and plan.challenge.slug == "embeddings"
    assert [c.number for c in plan.to_review] == [5, 6, 49]


def test_it_shows_no_one_elses_progress(client: Client, alice: User, bob: User) -> None:
    set_watched(
        learner=alice, video=Video.objects.get(slug="python-environment-setup"), watched=True
    )
    client.force_login(bob)
    assert "5 videos left" in client.get(URL).content.decode()


def test_it_renders_the_today_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="today"')


def test_it_refuses_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.post(URL).status_code == 405


def test_its_query_count_does_not_grow_with_progress(client: Client, alice: User) -> None:
    set_plan(learner=alice, start_date=date(2026, 3, 2), study_days="weekdays")
    client.force_login(alice)
    client.get(URL)  # warm the session and caches
    cache.clear()  # count the page as computed, not as the page cache serves it
    with CaptureQueriesContext(connection) as fresh:
        client.get(URL)
    for video in Video.objects.all()[:20]:
        set_watched(learner=alice, video=video, watched=True)
    cache.clear()
    with CaptureQueriesContext(connection) as busy:
        client.get(URL)
    assert len(busy) == len(fresh)
